package dev.selftaught.pipeline;

import dev.selftaught.data.InputError;
import dev.selftaught.train.TrainMethod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** train.method: grpo in a run config: GRPO's own settings are accepted and checked at load time, with file and line. */
class GrpoRunConfigTest {
    @TempDir Path dir;

    Path write(String yaml) throws Exception {
        Path f = Files.createTempFile(dir, "run", ".yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void grpoSettingsAreKnownUnderGrpoAndTyposAreCaughtAtTheirLine() throws Exception {
        RunConfig c = RunConfig.load(write("models: {seed: s}\nselect: {pool: p}\ntrain:\n  method: grpo\n  settings:\n    group_size: 4\n    kl_beta: 0.1\n"));
        assertEquals(TrainMethod.GRPO, c.train().method());
        assertEquals(4, c.train().settings().get("group_size"));
        Path typo = write("models: {seed: s}\nselect: {pool: p}\ntrain:\n  method: grpo\n  settings:\n    group_sise: 4\n");
        var e = assertThrows(InputError.class, () -> RunConfig.load(typo));
        assertTrue(e.getMessage().startsWith(typo + ":6: field 'train.settings.group_sise': unknown GRPO training setting; did you mean 'group_size'?"),
                e.getMessage());
        Path bad = write("models: {seed: s}\nselect: {pool: p}\ntrain:\n  method: grpo\n  settings:\n    clip: 2\n");
        e = assertThrows(InputError.class, () -> RunConfig.load(bad));
        assertTrue(e.getMessage().contains("clip must be in (0, 1)"), e.getMessage());
        // SFT does not know GRPO's keys
        Path sft = write("models: {seed: s}\nselect: {pool: p}\ntrain:\n  settings:\n    group_size: 4\n");
        assertThrows(InputError.class, () -> RunConfig.load(sft));
    }
}
