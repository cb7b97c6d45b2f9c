package dev.selftaught;

import dev.selftaught.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainHelpTest {
    @Test
    void helpListsCommandsAndUnknownOptionIsUsageError() {
        var out = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("--help"));
        assertTrue(out.toString().contains("Self-Taught Evaluator"), out.toString());

        var err = new StringWriter();
        var cl2 = Main.commandLine();
        cl2.setErr(new PrintWriter(err));
        assertEquals(2, cl2.execute("--no-such-option"));
        assertTrue(err.toString().contains("--no-such-option"), err.toString());
    }
}
