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
    void trainRoundChecksItsSettingsBeforeAnythingRuns() {
        Path run = dir.resolve("run");
        // No round directory, no SFT data: the settings are refused before the stage looks for them.
        Out typo = run("train-round", "--run-dir", run.toString(), "--round", "1", "--base", "embedded:none",
                "--set", "lr=1e-6", "--set", "epoch=2");
        assertEquals(2, typo.code(), typo.err());
        assertEquals("selftaught: --set epoch=2: unknown training setting 'epoch'; did you mean 'epochs'?", typo.err().lines().findFirst().orElse(""));
        Out type = run("train-round", "--run-dir", run.toString(), "--round", "1", "--base", "embedded:none", "--set", "epochs=two");
        assertEquals(2, type.code(), type.err());
        assertTrue(type.err().contains("--set: training setting epochs must be an integer, got 'two'"), type.err());
        Out unused = run("train-round", "--run-dir", run.toString(), "--round", "1", "--base", "embedded:none",
                "--backend", "external", "--command", "train --lr {setting.lr}", "--set", "lr=1e-6", "--set", "epoch=2");
        assertEquals(2, unused.code(), unused.err());
        assertTrue(unused.err().contains("--set epoch=2: --command never uses it (no {setting.epoch} in it)"), unused.err());
        assertFalse(Files.exists(run), "nothing written");
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
