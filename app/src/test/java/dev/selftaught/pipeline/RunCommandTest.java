package dev.selftaught.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code selftaught run} through the real command line: ModelFactory (a scripted backend
 * registered for tests), the external-command trainer and the eval package's evaluator. Then the
 * same run in a child JVM killed with SIGKILL part-way and started again: same artifacts, and no
 * model call made twice across the processes.
 */
class RunCommandTest {
    @TempDir Path tmp;

    Path config() throws Exception {
        StringBuilder pool = new StringBuilder();
        for (int i = 0; i < 8; i++) pool.append("{\"instruction\": \"Compute ").append(i).append(" times ").append(i + 1).append("\"}\n");
        Files.writeString(tmp.resolve("pool.jsonl"), pool);
        StringBuilder bench = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            String q = "Bench question " + i;
            bench.append("{\"id\": \"b").append(i).append("\", \"prompt\": \"").append(q).append("\", \"chosen\": \"Answer to: ")
                    .append(q).append("\", \"rejected\": \"Nope ").append(i).append("\", \"subset\": \"llmbar-natural\"}\n");
        }
        Files.writeString(tmp.resolve("bench.jsonl"), bench);
        Path cfg = tmp.resolve("run.yaml");
        Files.writeString(cfg, """
                seed: 5
                iterations: 2
                concurrency: 2
                models:
                  seed: scripted:seed@0.5
                  generator: scripted:gen@1.0
                  annotator: scripted:mixtral@0.7
                select: {pool: %s}
                annotate: {samples: 3}
                train:
                  backend: external
                  command: "mkdir -p {output} && wc -l < {data} > {output}/rows.txt"
                  result_spec: "scripted:trained@0.8"
                eval: {benchmarks: [%s]}
                """.formatted(tmp.resolve("pool.jsonl"), tmp.resolve("bench.jsonl")));
        return cfg;
    }

    @Test
    void runCommandEndToEndAndSigkillResume() throws Exception {
        Path cfg = config();
        // In-process, through Main.
        Path runA = tmp.resolve("A");
        Path callsA = tmp.resolve("callsA.log");
        System.setProperty("scripted.calls", callsA.toString());
        PipelineCliTest.Out o;
        try {
            o = PipelineCliTest.run("run", "--config", cfg.toString(), "--run-dir", runA.toString());
        } finally {
            System.clearProperty("scripted.calls");
        }
        assertEquals(0, o.code(), o.err());
        assertTrue(Files.isRegularFile(runA.resolve("report.html")));
        assertTrue(Files.readString(runA.resolve("round-1/train.log")).contains("[exit code 0]"));
        assertEquals("scripted:trained@0.8", PipelineIo.readJson(runA.resolve("round-1/model.json")).path("model").asText());
        Map<String, String> expected = RunLoopTest.artifacts(runA);

        // Child JVM, slowed down, killed with SIGKILL once some calls are stored, then resumed.
        Path runB = tmp.resolve("B");
        Path calls = tmp.resolve("calls.log");
        Process p = child(cfg, runB, calls, 15);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && (!Files.exists(calls) || Files.readAllLines(calls).size() < 12)) Thread.sleep(50);
        assertTrue(p.isAlive(), "the child must still be running when it is killed");
        p.destroyForcibly(); // SIGKILL
        p.waitFor(30, TimeUnit.SECONDS);
        int before = Files.readAllLines(calls).size();
        assertTrue(before >= 12 && !Files.exists(runB.resolve("report.json")), "killed part-way");
        Process q = child(cfg, runB, calls, 0);
        assertTrue(q.waitFor(120, TimeUnit.SECONDS), "resumed run finishes");
        assertEquals(0, q.exitValue(), new String(q.getInputStream().readAllBytes()));
        Map<String, String> got = RunLoopTest.artifacts(runB);
        assertEquals(expected.keySet(), got.keySet());
        for (String k : expected.keySet()) {
            if (k.equals("round-1/train.log") || k.equals("round-2/train.log")) continue; // holds absolute paths
            // Embedded PNGs are compared as the chart files; their base64 text may contain "/A/" or "/B/" by chance.
            assertEquals(noBase64(expected.get(k)).replace(runA.toString(), "X").replace("/A/", "/X/"),
                    noBase64(got.get(k)).replace(runB.toString(), "X").replace("/B/", "/X/"), "artifact " + k);
        }
        List<String> lines = Files.readAllLines(calls);
        int distinct = new HashSet<>(lines).size();
        assertEquals(new HashSet<>(Files.readAllLines(callsA)).size(), distinct, "the same calls as the uninterrupted run");
        // Only calls in flight at the kill (answered but not yet stored) can be made again: at most
        // the concurrency (2). Every stored call came back from calls.sqlite.
        assertTrue(lines.size() - distinct <= 2, "repeated calls: " + (lines.size() - distinct));
    }

    private Process child(Path cfg, Path runDir, Path calls, long delayMs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dscripted.calls=" + calls, "-Dscripted.delayMs=" + delayMs,
                "-cp", System.getProperty("java.class.path"), "dev.selftaught.cli.Main",
                "run", "--config", cfg.toString(), "--run-dir", runDir.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child-" + delayMs + ".log").toFile())
                .start();
    }

    private static String noBase64(String s) {
        return s.replaceAll("base64,[A-Za-z0-9+/=]+", "base64,PNG");
    }
}
