package dev.selftaught.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportCommandTest {

    @Test
    void rendersTheRunLoopsReportJsonWithoutTouchingIt(@TempDir Path run) throws Exception {
        // The run loop's layout: rows name a model, carry extra fields, baselines have no round.
        String json = """
                {"config_hash": "abc", "iterations": 1,
                 "rounds": [
                   {"round": 0, "model": "embedded:seed", "overall": 0.5, "categories": {"Chat Hard": 0.5},
                    "benchmarks": {"llmbar": {}}, "kept": null, "dropped": {}},
                   {"round": 1, "model": "run/round-1/model", "overall": 0.625, "categories": {"Chat Hard": 0.625},
                    "kept": 12, "dropped": {"no_correct": 3, "below_majority": null, "dropped_by_balancing": 2}}],
                 "baselines": [{"model": "http://x/v1#big", "overall": 0.7, "categories": {"Chat Hard": 0.7}, "kept": null, "dropped": {}}]}
                """;
        Files.writeString(run.resolve("report.json"), json);
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        assertEquals(0, cl.execute("report", "--run-dir", run.toString(), "--title", "Tiny run"), err.toString());
        assertEquals(json, Files.readString(run.resolve("report.json")));
        String md = Files.readString(run.resolve("report.md"));
        assertTrue(md.startsWith("# Tiny run"), md);
        assertTrue(md.contains("| Seed (round 0): embedded:seed | – | – | 50.0 | – | 50.0 | – | – |"), md);
        assertTrue(md.contains("| Iteration 1: run/round-1/model | – | 12 | 62.5 | – | 62.5 | – | – |"), md);
        assertTrue(md.contains("| http://x/v1#big (baseline) | – | – | 70.0 |"), md);
        assertTrue(md.contains("| Round | Pairs | Kept | Dropped: no_correct | Dropped: dropped_by_balancing |"), md);
        assertTrue(Files.size(run.resolve("charts/accuracy.png")) > 1000);
        assertTrue(Files.readString(run.resolve("report.html")).contains("data:image/png;base64,"));
        assertTrue(out.toString().contains("rendered 2 rounds and 1 baselines"), out.toString());

        assertEquals(2, cl.execute("report", "--run-dir", run.resolve("missing").toString()));
        assertTrue(err.toString().contains("no report.json"), err.toString());
    }
}
