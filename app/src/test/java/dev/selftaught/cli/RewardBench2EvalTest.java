package dev.selftaught.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.selftaught.data.Datasets;
import dev.selftaught.data.RecordWriter;
import dev.selftaught.eval.bench.Benchmark;
import dev.selftaught.eval.bench.Benchmarks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * RewardBench 2 end to end: a file in the published layout (JSONL and Parquet) built so that its
 * scores are known, judged through `eval` by a real HTTP judge that prefers the answer marked with
 * the higher quality and gives no verdict on equal quality.
 */
class RewardBench2EvalTest {
    static final ObjectMapper JSON = new ObjectMapper();
    private final StringWriter out = new StringWriter(), err = new StringWriter();
    private static final Pattern Q = Pattern.compile("\\[q=(\\d+)]");

    private int run(String... args) {
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    static String judgeByQuality(String user) {
        int a = user.indexOf("[The Start of Assistant A's Answer]"), b = user.indexOf("[The Start of Assistant B's Answer]");
        int qa = quality(user.substring(a, b)), qb = quality(user.substring(b));
        return "Comparing quality. " + (qa > qb ? "[[A]]" : qa < qb ? "[[B]]" : "They are equally good.");
    }

    private static int quality(String s) {
        Matcher m = Q.matcher(s);
        assertTrue(m.find(), s);
        return Integer.parseInt(m.group(1));
    }

    private static String item(String id, String subset, int[] correct, int[] incorrect) throws Exception {
        var o = JSON.createObjectNode();
        o.put("id", id).put("prompt", "Question " + id + "?").put("subset", subset);
        var c = o.putArray("chosen");
        for (int q : correct) c.add("answer [q=" + q + "] for " + id);
        var r = o.putArray("rejected");
        for (int q : incorrect) r.add("answer [q=" + q + "] for " + id);
        o.put("num_correct", correct.length).put("total_completions", correct.length + incorrect.length);
        o.putArray("models").add("m1");
        return JSON.writeValueAsString(o);
    }

    /**
     * Known scores. Factuality: 1, 0, 1/2 (tied with one rejected), 1 -> 0.625. Math: 1, 0 -> 0.5.
     * Ties, answer scores from the round robin: ref:0 [1 | 0, 1/3, 2/3] margin 1/3; tied:0
     * [1, 0.75 | 0, 0.25, 0.5] spread 0.25 margin 0.25; ref:1 [1 | 0] margin 1; tied:1
     * [0.875, 0.875 | 0, 0.25, 0.5] spread 0 margin 0.375. Accuracies 1 and 1; correctness
     * preferred: prompt 1 only (0.25 > 0.25 is false) -> 0.5, hard the same; margin term
     * (tanh(0) + tanh(inf)) / 2 = 0.5. Ties = 0.3 + 0.3 + 0.1 + 0.1 + 0.005 = 0.805.
     */
    static List<String> rows() throws Exception {
        return List.of(
                item("f1", "Factuality", new int[] {9}, new int[] {1, 2, 3}),
                item("f2", "Factuality", new int[] {5}, new int[] {1, 6, 2}),
                item("f3", "Factuality", new int[] {5}, new int[] {5, 1, 2}),
                item("f4", "Factuality", new int[] {9}, new int[] {1, 1, 1}),
                item("m1", "Math", new int[] {7}, new int[] {1, 2, 3}),
                item("m2", "Math", new int[] {2}, new int[] {1, 3, 1}),
                item("ref:0", "Ties", new int[] {9}, new int[] {1, 2, 3}),
                item("tied:0", "Ties", new int[] {9, 8}, new int[] {1, 2, 3}),
                item("ref:1", "Ties", new int[] {9}, new int[] {1}),
                item("tied:1", "Ties", new int[] {9, 9}, new int[] {1, 2, 3}));
    }

    static final double FACTUALITY = 0.625, MATH = 0.5, TIES = 0.805;

    @Test
    void evalScoresAFileBuiltToKnownScoresFromJsonlAndParquet(@TempDir Path dir) throws Exception {
        Path jsonl = dir.resolve("rb2.jsonl");
        Files.writeString(jsonl, String.join("\n", rows()) + "\n");
        Path parquet = dir.resolve("rb2.parquet");
        try (RecordWriter w = Datasets.writer(parquet)) {
            for (String r : rows()) w.write(JSON.readTree(r));
            w.commit();
        }
        Benchmark b = Benchmarks.load(parquet.toString(), dir);
        // 6 best-of-4 items x 3 comparisons + Ties round robins: 4C2 + 5C2 + 2C2 + 5C2 = 6 + 10 + 1 + 10
        assertEquals(18 + 27, b.items().size());
        try (JudgeServer server = new JudgeServer(RewardBench2EvalTest::judgeByQuality)) {
            for (Path f : List.of(jsonl, parquet)) {
                Path o = dir.resolve("out-" + f.getFileName());
                assertEquals(0, run("eval", "--judge", server.spec(), "--benchmark", f.toString(), "--output", o.toString(), "--order", "both"), err.toString());
                JsonNode m = JSON.readTree(o.resolve("metrics.json").toFile());
                assertEquals("rewardbench2", m.get("overall_basis").asText());
                assertEquals(FACTUALITY, m.at("/subsets/Factuality/accuracy").asDouble(), 1e-12);
                assertEquals(4, m.at("/subsets/Factuality/n").asInt(), "items, not comparisons");
                assertEquals(MATH, m.at("/subsets/Math/accuracy").asDouble(), 1e-12);
                assertEquals(TIES, m.at("/subsets/Ties/accuracy").asDouble(), 1e-12);
                assertEquals((FACTUALITY + MATH + TIES) / 3, m.get("overall").asDouble(), 1e-12);
                assertEquals(0.5, m.at("/rewardbench2/ties_components/correctness_preferred").asDouble(), 1e-12);
                assertTrue(m.at("/rewardbench2/pairwise_rule").asText().contains("1/(1 + ties)"));
                // Bootstrap 95% intervals like every other score: per subset and overall.
                var mathCi = m.at("/rewardbench2/subsets/Math/ci");
                assertEquals(2, mathCi.size(), m.toString());
                assertTrue(mathCi.get(0).asDouble() <= MATH + 1e-12 && MATH - 1e-12 <= mathCi.get(1).asDouble(), mathCi.toString());
                assertTrue(m.at("/rewardbench2/subsets/Ties/ci").get(0).asDouble() <= m.at("/rewardbench2/subsets/Ties/ci").get(1).asDouble());
                var overallCi = m.at("/rewardbench2/overall_ci");
                assertTrue(overallCi.get(0).asDouble() <= overallCi.get(1).asDouble() && overallCi.get(1).asDouble() <= 1, overallCi.toString());
                assertTrue(m.at("/rewardbench2/ci_method").asText().contains("2000 resamples"), m.toString());
                assertTrue(out.toString().contains("rewardbench2"), out.toString());
            }
        }
    }

    @Test
    void runsEvalBenchmarksTakeTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rb2.json");
        Files.writeString(file, "[\n" + String.join(",\n", rows()) + "\n]\n");
        Path yaml = dir.resolve("run.yaml");
        Files.writeString(yaml, "models: {seed: s}\nselect: {pool: p}\neval: {benchmarks: ['" + file + "'], order: both}\n");
        var cfg = dev.selftaught.pipeline.RunConfig.load(yaml);
        assertEquals(List.of(file.toString()), cfg.eval().benchmarks());
        try (JudgeServer server = new JudgeServer(RewardBench2EvalTest::judgeByQuality);
             var judge = dev.selftaught.llm.ModelFactory.open(server.spec(), dev.selftaught.llm.ModelOptions.defaults())) {
            JsonNode m = new dev.selftaught.pipeline.BenchmarkEvaluator(cfg.eval(), 2, dir).evaluate(judge, file.toString(), dir.resolve("eval"));
            assertEquals("rewardbench2", m.get("overall_basis").asText());
            assertEquals((FACTUALITY + MATH + TIES) / 3, m.get("overall").asDouble(), 1e-12);
        }
    }

    @Test
    void malformedItemsAreRefusedWithFileRowAndField(@TempDir Path dir) throws Exception {
        String good = item("f1", "Factuality", new int[] {9}, new int[] {1, 2, 3});
        String other = item("f2", "Factuality", new int[] {9}, new int[] {1, 2, 3});
        String[][] bad = {
                {item("t", "Ties", new int[] {9}, new int[] {1}), "field 'id': Ties items are named ref:N or tied:N"},
                {other.replace("\"num_correct\":1", "\"num_correct\":2"), "field 'num_correct'"},
                {other.replace("\"rejected\":[", "\"rejected\":[5,"), "field 'rejected[0]'"},
                {other.replace("Factuality", "Chat"), "field 'subset': 'Chat' is not a RewardBench 2 subset"},
                {good, "field 'id': duplicate id 'f1'"},
        };
        for (String[] c : bad) {
            Path f = dir.resolve("bad.jsonl");
            Files.writeString(f, good + "\n" + c[0] + "\n");
            var e = assertThrows(dev.selftaught.data.InputError.class, () -> Benchmarks.load(f.toString(), dir));
            assertTrue(e.getMessage().contains("bad.jsonl:2: " + c[1]), e.getMessage());
        }
    }
}
