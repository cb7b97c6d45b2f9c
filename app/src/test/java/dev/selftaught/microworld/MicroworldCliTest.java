package dev.selftaught.microworld;

import dev.selftaught.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class MicroworldCliTest {

    private static int run(StringWriter err, String... args) {
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    @Test
    void badOptionsAreUsageErrorsBeforeAnyWork(@TempDir Path tmp) {
        var err = new StringWriter();
        assertEquals(2, run(err, "demo", "--rounds", "0", "--output", tmp.resolve("d").toString(), "--cache-dir", tmp.toString()));
        assertTrue(err.toString().contains("--rounds must be at least 1"), err.toString());
        assertFalse(Files.exists(tmp.resolve("d")), "nothing written");
        var err2 = new StringWriter();
        assertEquals(2, run(err2, "microworld", "benchmark", "--output", tmp.toString(), "--per-category", "0"));
        assertTrue(err2.toString().contains("--per-category"), err2.toString());
        var err3 = new StringWriter();
        assertEquals(2, run(err3, "microworld", "pretrain", "--recipe", "huge", "--cache-dir", tmp.toString()));
        assertTrue(err3.toString().contains("--recipe must be standard, large or tiny"), err3.toString());
        var err4 = new StringWriter();
        assertEquals(2, run(err4, "demo", "--recipe", "huge", "--output", tmp.resolve("d2").toString(), "--cache-dir", tmp.toString()));
        assertTrue(err4.toString().contains("--recipe must be standard, large or tiny"), err4.toString());
        assertFalse(Files.exists(tmp.resolve("d2")), "nothing written");
        var err5 = new StringWriter();
        assertEquals(2, run(err5, "demo", "--categories", "math,poetry", "--output", tmp.resolve("d3").toString(), "--cache-dir", tmp.toString()));
        assertTrue(err5.toString().contains("unknown topic 'poetry'"), err5.toString());
        assertFalse(Files.exists(tmp.resolve("d3")), "nothing written");
    }

    @Test
    void benchmarkCommandWritesBothSplits(@TempDir Path tmp) throws Exception {
        assertEquals(0, run(new StringWriter(), "microworld", "benchmark", "--output", tmp.toString(), "--per-category", "10"));
        assertEquals(40, Files.readAllLines(tmp.resolve("microbench.jsonl")).size());
        assertEquals(4 * Benchmark.VALIDATION_PER_CATEGORY, Files.readAllLines(tmp.resolve("validation.jsonl")).size());
        // the eval package's generic loader reads it
        var b = dev.selftaught.eval.bench.PairwiseFileLoader.load(tmp.resolve("microbench.jsonl"));
        assertEquals(40, b.items().size());
        assertEquals("mw-test-0000", b.items().getFirst().id());
        // --seed: a fresh benchmark from another generator seed, same shape, other items; the default is the frozen one
        Path fresh = tmp.resolve("fresh");
        assertEquals(0, run(new StringWriter(), "microworld", "benchmark", "--output", fresh.toString(), "--per-category", "10", "--seed", "0x51"));
        var f = dev.selftaught.eval.bench.PairwiseFileLoader.load(fresh.resolve("microbench.jsonl"));
        assertEquals(40, f.items().size());
        assertNotEquals(Files.readString(tmp.resolve("microbench.jsonl")), Files.readString(fresh.resolve("microbench.jsonl")));
        Path again = tmp.resolve("again");
        assertEquals(0, run(new StringWriter(), "microworld", "benchmark", "--output", again.toString(), "--per-category", "10", "--seed", "81"));
        assertEquals(Files.readString(fresh.resolve("microbench.jsonl")), Files.readString(again.resolve("microbench.jsonl")), "0x51 == 81");
        var err = new StringWriter();
        assertEquals(2, run(err, "microworld", "benchmark", "--output", tmp.resolve("bad").toString(), "--seed", "ten"));
        assertTrue(err.toString().contains("seed must be an integer"), err.toString());
    }
}
