package dev.selftaught.pipeline;

import dev.selftaught.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The stage commands through the real command line. */
class PipelineCliTest {
    @TempDir Path dir;

    record Out(int code, String out, String err) {}

    static Out run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Out(code, out.toString(), err.toString());
    }

    @Test
    void selectCommandWritesTheStageFiles() throws Exception {
        Path pool = dir.resolve("pool.jsonl");
        Files.writeString(pool, "{\"prompt\": \"one?\"}\n{\"prompt\": \"ONE?\"}\n{\"prompt\": \"two?\"}\n");
        Path run = dir.resolve("run");
        Out o = run("select", "--run-dir", run.toString(), "--pool", pool.toString(), "--max-count", "5");
        assertEquals(0, o.code(), o.err());
        assertEquals(2, Files.readAllLines(run.resolve("select/instructions.jsonl")).size());
        assertEquals(1, PipelineIo.readJson(run.resolve("select/stats.json")).path("duplicate").asInt());
        assertTrue(Files.isRegularFile(run.resolve("select/done")));
    }

    @Test
    void badInputExitsWithCodeTwoAndOneLine() throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "models: {seed: s}\nselect: {pool: p}\niterashuns: 3\n");
        Out o = run("run", "--config", cfg.toString(), "--run-dir", dir.resolve("r").toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("iterashuns"), o.err());
        Out p = run("select", "--run-dir", dir.resolve("r2").toString(), "--pool", dir.resolve("missing.jsonl").toString());
        assertEquals(2, p.code());
        assertTrue(p.err().contains("missing.jsonl"), p.err());
    }

    @Test
    void helpDescribesEveryOption() {
        for (String cmd : new String[] {"select", "pairs", "annotate", "train-round", "run"}) {
            CommandLine sub = Main.commandLine().getSubcommands().get(cmd);
            assertNotNull(sub, cmd);
            for (var opt : sub.getCommandSpec().options()) {
                assertTrue(opt.description().length > 0 && !opt.description()[0].isBlank(), cmd + " " + opt.longestName());
            }
        }
    }
}
