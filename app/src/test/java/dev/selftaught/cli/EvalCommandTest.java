package dev.selftaught.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** eval and judge end to end: the CLI, a real HTTP judge server, the call store, real files. */
class EvalCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final StringWriter out = new StringWriter(), err = new StringWriter();

    private int run(String... args) {
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    /** Picks whichever shown answer contains GOOD. */
    private static String picksGood(String user) {
        int a = user.indexOf("[The Start of Assistant A's Answer]"), b = user.indexOf("[The Start of Assistant B's Answer]");
        return "Reasoning here. " + (user.substring(a, b).contains("GOOD") ? "[[A]]" : "[[B]]");
    }

    @Test
    void evalWritesMetricsAndRerunMakesNoCalls(@TempDir Path dir) throws Exception {
        Path bench = dir.resolve("mini.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            sb.append("{\"id\": \"n").append(i).append("\", \"subset\": \"llmbar-natural\", \"prompt\": \"q").append(i)
                    .append("\", \"chosen\": \"GOOD ").append(i).append("\", \"rejected\": \"meh ").append(i).append("\"}\n");
        }
        for (int i = 0; i < 4; i++) {
            sb.append("{\"id\": \"h").append(i).append("\", \"subset\": \"hep-go\", \"prompt\": \"code").append(i)
                    .append("\", \"chosen\": \"GOOD code\", \"rejected\": \"bug").append(i).append("\"}\n");
        }
        Files.writeString(bench, sb.toString());
        Path outDir = dir.resolve("out");
        try (JudgeServer server = new JudgeServer(EvalCommandTest::picksGood)) {
            int code = run("eval", "--judge", server.spec(), "--benchmark", bench.toString(), "--output", outDir.toString(),
                    "--order", "both", "--prior-sets", "0.7");
            assertEquals(0, code, err.toString());
            assertEquals(20, server.chatCalls.get());
            JsonNode m = JSON.readTree(outDir.resolve("metrics.json").toFile());
            assertEquals(1.0, m.at("/subsets/llmbar-natural/accuracy").asDouble());
            assertEquals(6, m.at("/subsets/llmbar-natural/n").asInt());
            assertEquals(4, m.at("/subsets/hep-go/n").asInt());
            assertEquals(1.0, m.at("/categories/Chat Hard").asDouble());
            assertEquals(1.0, m.at("/categories/Reasoning").asDouble());
            assertFalse(m.at("/categories").has("Safety"));
            assertEquals(1.0, m.get("overall").asDouble());
            assertEquals((4 + 0.7) / 5, m.get("overall_leaderboard").asDouble(), 1e-12);
            assertEquals(1.0, m.get("position_consistency").asDouble());
            assertEquals(0.0, m.get("parse_failure_rate").asDouble());
            assertEquals(server.spec(), m.get("judge").asText());
            assertEquals("both", m.get("order").asText());
            assertEquals(20, Files.readAllLines(outDir.resolve("judgments.jsonl")).size());
            assertTrue(out.toString().contains("position consistency"), out.toString());

            // The same command again: every judgment comes from the call store.
            byte[] before = Files.readAllBytes(outDir.resolve("metrics.json"));
            assertEquals(0, run("eval", "--judge", server.spec(), "--benchmark", bench.toString(), "--output", outDir.toString(),
                    "--order", "both", "--prior-sets", "0.7"), err.toString());
            assertEquals(20, server.chatCalls.get(), "rerun made no model calls");
            assertEquals(new String(before), Files.readString(outDir.resolve("metrics.json")));
        }
    }

    @Test
    void categoryColumnGivesPerCategoryScoresEachWithAnInterval(@TempDir Path dir) throws Exception {
        Path bench = dir.resolve("cats.jsonl");
        StringBuilder sb = new StringBuilder();
        // Chat: 12 items the judge gets right (chosen says GOOD); Safety: 12 items, 6 right.
        for (int i = 0; i < 12; i++) {
            sb.append("{\"id\": \"c").append(i).append("\", \"subset\": \"chat-x\", \"category\": \"Chat\", \"prompt\": \"q")
                    .append(i).append("\", \"chosen\": \"GOOD ").append(i).append("\", \"rejected\": \"meh\"}\n");
            sb.append("{\"id\": \"s").append(i).append("\", \"subset\": \"safe-y\", \"category\": \"Safety\", \"prompt\": \"r")
                    .append(i).append("\", \"chosen\": \"").append(i % 2 == 0 ? "GOOD" : "plain").append("\", \"rejected\": \"")
                    .append(i % 2 == 0 ? "meh" : "GOOD bad").append("\"}\n");
        }
        Files.writeString(bench, sb.toString());
        Path outDir = dir.resolve("out");
        try (JudgeServer server = new JudgeServer(EvalCommandTest::picksGood)) {
            assertEquals(0, run("eval", "--judge", server.spec(), "--benchmark", bench.toString(), "--output", outDir.toString(),
                    "--order", "both"), err.toString());
        }
        JsonNode m = JSON.readTree(outDir.resolve("metrics.json").toFile());
        assertEquals(1.0, m.at("/categories/Chat").asDouble());
        assertEquals(0.5, m.at("/categories/Safety").asDouble());
        assertEquals(0.75, m.get("overall").asDouble(), 1e-12);
        assertEquals("categories", m.get("overall_basis").asText());
        JsonNode safety = m.at("/ci95/categories/Safety"), overall = m.at("/ci95/overall");
        assertTrue(safety.get(0).asDouble() < 0.5 && safety.get(1).asDouble() > 0.5, safety.toString());
        assertTrue(overall.get(0).asDouble() < 0.75 && overall.get(1).asDouble() > 0.75 && overall.get(1).asDouble() <= 1, overall.toString());
        assertEquals(List.of(1.0, 1.0), List.of(m.at("/ci95/categories/Chat/0").asDouble(), m.at("/ci95/categories/Chat/1").asDouble()));
        assertTrue(out.toString().contains("category Safety") && out.toString().contains("[") , out.toString());
        assertTrue(Files.readString(outDir.resolve("judgments.jsonl")).contains("\"category\":\"Safety\""));

        // A subset may not change category between records: one error naming file, line and field.
        Files.writeString(bench, sb + "{\"subset\": \"chat-x\", \"category\": \"Safety\", \"prompt\": \"z\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        assertEquals(2, run("eval", "--judge", "http://127.0.0.1:9/v1#x", "--benchmark", bench.toString(), "--output", dir.resolve("o2").toString()));
        assertTrue(err.toString().contains(bench + ":25: field 'category'"), err.toString());
    }

    @Test
    void namedBenchmarkWithRandomOrder(@TempDir Path dir) throws Exception {
        Path outDir = dir.resolve("o");
        try (JudgeServer server = new JudgeServer(u -> "I always pick the first. [[A]]")) {
            int code = run("eval", "--judge", server.spec(), "--benchmark", "llmbar-adver-GPTOut", "--output", outDir.toString(),
                    "--limit", "20", "--seed", "7", "--data-dir", System.getProperty("shared.data"));
            assertEquals(0, code, err.toString());
            assertEquals(20, server.chatCalls.get());
        }
        // An always-A judge is right exactly on the items not shuffled (chosen shown as A).
        List<JsonNode> js = new ArrayList<>();
        for (String l : Files.readAllLines(outDir.resolve("judgments.jsonl"))) js.add(JSON.readTree(l));
        long notShuffled = js.stream().filter(j -> !j.get("is_shuffled").asBoolean()).count();
        assertTrue(notShuffled > 0 && notShuffled < 20, "random order mixes positions: " + notShuffled);
        JsonNode m = JSON.readTree(outDir.resolve("metrics.json").toFile());
        assertEquals(notShuffled / 20.0, m.at("/subsets/llmbar-adver-GPTOut/accuracy").asDouble(), 1e-12);
        assertEquals(7, m.get("seed").asLong());
        assertEquals("random", m.get("order").asText());
    }

    @Test
    void badInputExitsTwoWithOneLine(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"q\", \"chosen\": \"a\"}\n");
        int code = run("eval", "--judge", "http://127.0.0.1:9/v1#x", "--benchmark", bad.toString(), "--output", dir.resolve("o").toString());
        assertEquals(2, code);
        assertTrue(err.toString().contains(bad + ":1: field 'rejected': missing"), err.toString());
        assertFalse(Files.exists(dir.resolve("o").resolve("metrics.json")));
        assertEquals(2, run("eval", "--judge", "http://127.0.0.1:9/v1#x", "--benchmark", bad.toString(),
                "--output", dir.resolve("o").toString(), "--order", "sideways"));
        assertTrue(err.toString().contains("unknown order 'sideways'"), err.toString());
    }

    @Test
    void judgeWritesVerdictReasoningAndVotes(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("pairs.jsonl");
        Files.writeString(in, """
                {"id": "p1", "prompt": "Which is right?", "response_a": "meh", "response_b": "GOOD one"}
                {"id": "p2", "messages": [{"role": "user", "content": "q"}], "response_a": "GOOD", "response_b": "other"}
                {"id": "p3", "instruction": "from pairs.jsonl", "chosen": "meh chosen", "rejected": "GOOD rejected"}
                """);
        Path outFile = dir.resolve("verdicts.jsonl");
        try (JudgeServer server = new JudgeServer(EvalCommandTest::picksGood)) {
            int code = run("judge", "--judge", server.spec(), "--input", in.toString(), "--output", outFile.toString(), "--samples", "3");
            assertEquals(0, code, err.toString());
        }
        List<String> lines = Files.readAllLines(outFile);
        assertEquals(3, lines.size());
        JsonNode p1 = JSON.readTree(lines.get(0)), p2 = JSON.readTree(lines.get(1));
        assertEquals("p1", p1.get("id").asText());
        assertEquals("B", p1.get("verdict").asText());
        assertEquals("Reasoning here. [[B]]", p1.get("reasoning").asText());
        assertEquals(3, p1.at("/votes/B").asInt());
        assertEquals(3, p1.get("samples").size());
        assertEquals("A", p2.get("verdict").asText());
        assertFalse(p2.has("agrees_with_chosen"));
        JsonNode p3 = JSON.readTree(lines.get(2));
        assertEquals("B", p3.get("verdict").asText());
        assertFalse(p3.get("agrees_with_chosen").asBoolean());
        assertTrue(out.toString().contains("judged 3 pairs: A 1, B 2"), out.toString());
    }

    @Test
    void helpDescribesEveryOption() {
        assertEquals(0, run("eval", "--help"));
        String help = out.toString();
        for (String opt : List.of("--judge", "--benchmark", "--output", "--order", "--samples", "--seed", "--max-tokens",
                "--parse-rule", "--template", "--run-dir", "--limit", "--prior-sets", "--max-turns")) {
            assertTrue(help.contains(opt), opt);
        }
    }
}
