package dev.selftaught.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.store.RunDirectory;
import dev.selftaught.testing.OpenAiTestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * generate against a server that fails 30% of requests (429 with Retry-After, 500, too slow,
 * connection reset, malformed JSON, truncated JSON): every row is answered, and each (row, sample)
 * is in the store exactly once, holding one answer the server really delivered cleanly, with the
 * tokens of exactly that answer.
 */
class GenerateFaultInjectionTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void everyRowAnsweredAndEverySampleStoredExactlyOnce() throws Exception {
        int rows = 80, n = 2;
        long seed = 1234;
        Path in = dir.resolve("in.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            if (i % 2 == 0) sb.append("{\"id\":\"r").append(i).append("\",\"prompt\":\"prompt ").append(i).append("\"}\n");
            else sb.append("{\"id\":").append(i).append(",\"messages\":[{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":\"chat ").append(i).append("\"}]}\n");
        }
        Files.writeString(in, sb);
        Path out = dir.resolve("out.jsonl");
        try (OpenAiTestServer server = new OpenAiTestServer("faulty")) {
            server.faultRate = 0.3;
            server.serials = true;
            server.slowMillis = 1500;
            var err = new StringWriter();
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err));
            int code = cl.execute("generate", "--model", server.url(), "--input", in.toString(), "--output", out.toString(),
                    "--n", String.valueOf(n), "--seed", String.valueOf(seed), "--temperature", "0.7", "--max-tokens", "16",
                    "--concurrency", "16", "--request-timeout", "700ms", "--retry-delay", "5ms", "--max-retries", "30");
            assertEquals(0, code, err.toString());
            double faultShare = (double) server.faultCount() / server.log.size();
            assertTrue(faultShare >= 0.2, "faults in " + faultShare + " of requests");
            for (OpenAiTestServer.Fault f : OpenAiTestServer.Fault.values()) {
                assertTrue(server.log.stream().anyMatch(l -> l.outcome().equals(f.name())), "fault " + f + " never injected");
            }

            List<String> lines = Files.readAllLines(out);
            assertEquals(rows, lines.size());
            SamplingParams p = SamplingParams.sample(0.7, 1.0, 16, n, seed);
            Set<String> storedTexts = new HashSet<>();
            try (var c = DriverManager.getConnection("jdbc:sqlite:" + out.resolveSibling("out.jsonl.run").resolve(RunDirectory.CALLS_FILE));
                 var st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT status, text FROM calls")) {
                while (rs.next()) {
                    assertEquals("ok", rs.getString(1));
                    assertTrue(storedTexts.add(rs.getString(2)), "stored twice: " + rs.getString(2));
                }
            }
            assertEquals(rows * n, storedTexts.size(), "one stored sample per (row, sample)");

            Map<String, Integer> perSample = new HashMap<>();
            for (int i = 0; i < rows; i++) {
                JsonNode row = JSON.readTree(lines.get(i));
                assertEquals(i % 2 == 0 ? "\"r" + i + "\"" : String.valueOf(i), row.get("id").toString(), "input order");
                String tag = (i % 2 == 0 ? "prompt " : "chat ") + i;
                long prompt = 0, completion = 0;
                for (int s = 0; s < n; s++) {
                    String text = row.get("outputs").get(s).asText();
                    assertTrue(storedTexts.contains(text), "output not from the store: " + text);
                    long serial = Long.parseLong(text.substring(text.indexOf("|serial=") + 8));
                    OpenAiTestServer.Served served = server.served.get(serial);
                    assertNotNull(served, "the server never delivered " + text + " cleanly");
                    assertEquals(tag, served.tag());
                    assertEquals(p.sampleSeed(s), served.seed(), "sample " + s + " has its own seed");
                    assertTrue(server.cleanCount(tag, p.sampleSeed(s), 0) >= 1);
                    perSample.merge(tag + "#" + s, 1, Integer::sum);
                    prompt += served.promptTokens();
                    completion += served.completionTokens();
                    assertEquals("stop", row.get("finish_reasons").get(s).asText());
                }
                assertEquals(prompt * 1, row.get("usage").get("prompt_tokens").asLong() / 1, "prompt tokens of exactly the stored calls");
                assertEquals(completion, row.get("usage").get("completion_tokens").asLong());
            }
            assertEquals(rows * n, perSample.size());
            assertTrue(perSample.values().stream().allMatch(c -> c == 1));
            // The summary counts each stored sample once: model calls == samples stored.
            assertTrue(err.toString().contains(rows * n + " model calls"), err.toString());
        }
    }

    @Test
    void failedRowsAreRecordedReplayedAndRetriedOnlyWithRetryFailed() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"prompt\":\"a\"}\n{\"prompt\":\"b\"}\n{\"prompt\":\"c\"}\n{\"prompt\":\"d\"}\n");
        Path out = dir.resolve("out.jsonl");
        try (OpenAiTestServer server = new OpenAiTestServer("m")) {
            server.script.add(400); // one row's call fails for good (not retryable)
            String[] base = {"generate", "--model", server.url(), "--input", in.toString(), "--output", out.toString(), "--concurrency", "1"};
            var err = new StringWriter();
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err));
            assertEquals(1, cl.execute(base), err.toString());
            assertTrue(err.toString().contains("1 of 4 rows failed") && err.toString().contains("--retry-failed"), err.toString());
            List<String> lines = Files.readAllLines(out);
            assertEquals(4, lines.size());
            assertTrue(lines.get(0).contains("\"error\"") && lines.get(0).contains("HTTP 400"), lines.get(0));
            assertEquals(4, server.requests.get());

            // A plain rerun: the failure is replayed from the store, no call at all.
            cl = Main.commandLine();
            cl.setErr(new PrintWriter(new StringWriter()));
            assertEquals(1, cl.execute(base));
            assertEquals(4, server.requests.get());

            // --retry-failed: exactly the failed call is made again, the rest come from the store.
            String[] retry = java.util.Arrays.copyOf(base, base.length + 1);
            retry[base.length] = "--retry-failed";
            cl = Main.commandLine();
            cl.setErr(new PrintWriter(new StringWriter()));
            assertEquals(0, cl.execute(retry));
            assertEquals(5, server.requests.get());
            lines = Files.readAllLines(out);
            for (int i = 0; i < 4; i++) {
                JsonNode row = JSON.readTree(lines.get(i));
                assertEquals(i, row.get("id").asInt());
                assertEquals(OpenAiTestServer.text(String.valueOf((char) ('a' + i)), null, 0), row.get("outputs").get(0).asText());
            }
        }
    }
}
