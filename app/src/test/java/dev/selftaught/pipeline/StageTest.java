package dev.selftaught.pipeline;

import dev.selftaught.data.InputError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The one place the done marker is handled: skip when done, refuse changed inputs, recompute when forced or broken. */
class StageTest {
    @TempDir Path dir;

    /** Upper-cases an input file with a setting; counts how often it really computed. */
    static final class Upper implements Stage<String> {
        final Path in, out;
        final String setting;
        int computed;
        boolean crash;

        Upper(Path in, Path out, String setting) {
            this.in = in;
            this.out = out;
            this.setting = setting;
        }

        @Override public String name() { return "upper"; }
        @Override public Path markerDir() { return out; }
        @Override public List<String> outputs() { return List.of("result.txt"); }

        @Override
        public Map<String, String> inputs() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("text", PipelineIo.sha256(in));
            m.put("settings", PipelineIo.hashOf(Map.of("suffix", setting)));
            return m;
        }

        @Override
        public String compute() {
            computed++;
            String r;
            try {
                r = Files.readString(in).toUpperCase() + setting;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            PipelineIo.writeText(out.resolve("result.txt"), r);
            if (crash) throw new IllegalStateException("killed after writing the output, before the marker");
            return r;
        }

        @Override
        public String read() {
            try {
                return Files.readString(out.resolve("result.txt"));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private Path input(String text) throws Exception {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, text);
        return in;
    }

    @Test
    void skippedWhenDoneReadBackFromItsOutputs() throws Exception {
        Path in = input("abc");
        Upper first = new Upper(in, dir.resolve("s"), "!");
        assertEquals("ABC!", Stage.run(first, false));
        assertEquals(1, first.computed);
        assertTrue(Files.isRegularFile(dir.resolve("s").resolve(StageMarker.FILE)));

        Upper again = new Upper(in, dir.resolve("s"), "!");
        assertEquals("ABC!", Stage.run(again, false));
        assertEquals(0, again.computed, "a finished stage with the same inputs is not computed again");
    }

    @Test
    void aChangedSettingOrInputFileIsRefusedNamingItThenRecomputedWhenForced() throws Exception {
        Path in = input("abc");
        Stage.run(new Upper(in, dir.resolve("s"), "!"), false);

        Upper otherSetting = new Upper(in, dir.resolve("s"), "?");
        InputError e = assertThrows(InputError.class, () -> Stage.run(otherSetting, false));
        assertTrue(e.getMessage().contains("changed: settings"), e.getMessage());
        assertTrue(e.getMessage().contains("'upper'"), e.getMessage());
        assertEquals(0, otherSetting.computed);

        input("xyz");
        Upper otherFile = new Upper(in, dir.resolve("s"), "!");
        e = assertThrows(InputError.class, () -> Stage.run(otherFile, false));
        assertTrue(e.getMessage().contains("changed: text"), e.getMessage());

        assertEquals("XYZ!", Stage.run(otherFile, true));
        assertEquals(1, otherFile.computed);
        Upper same = new Upper(in, dir.resolve("s"), "!");
        assertEquals("XYZ!", Stage.run(same, false));
        assertEquals(0, same.computed, "the forced result is the new done state");
    }

    @Test
    void aDamagedOutputOrAStageKilledBeforeItsMarkerIsComputedAgain() throws Exception {
        Path in = input("abc");
        Stage.run(new Upper(in, dir.resolve("s"), "!"), false);
        Files.writeString(dir.resolve("s").resolve("result.txt"), "tampered");
        Upper repair = new Upper(in, dir.resolve("s"), "!");
        assertEquals("ABC!", Stage.run(repair, false));
        assertEquals(1, repair.computed);

        Upper killed = new Upper(in, dir.resolve("k"), "!");
        killed.crash = true;
        assertThrows(IllegalStateException.class, () -> Stage.run(killed, false));
        assertFalse(Files.exists(dir.resolve("k").resolve(StageMarker.FILE)), "no marker for an unfinished stage");
        Upper resumed = new Upper(in, dir.resolve("k"), "!");
        assertEquals("ABC!", Stage.run(resumed, false));
        assertEquals(1, resumed.computed);
    }
}
