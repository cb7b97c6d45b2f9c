package dev.selftaught.microworld;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.Completion;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.pipeline.PipelineIo;
import dev.selftaught.pipeline.RunLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The demo's wiring through the real pipeline, with scripted models standing in for the engine:
 * each plays the micro-world roles from the world's own generators, and judges correctly with a
 * probability its spec names ({@code scripted:NAME@SKILL}); a trained model's skill grows with
 * its training rows. Checks the run layout, report.json and the table, not the learning.
 */
class DemoWiringTest {

    static final class Scripted implements LanguageModel {
        final String spec;
        final double skill;

        Scripted(String spec) {
            this.spec = spec;
            this.skill = Double.parseDouble(spec.substring(spec.lastIndexOf('@') + 1));
        }

        @Override public String identity() { return spec; }

        @Override public ModelResponse complete(ModelRequest req) {
            String u = req.messages().getLast().content();
            List<Completion> out = new ArrayList<>();
            for (int i = 0; i < req.params().n(); i++) {
                Long s = req.params().sampleSeed(i);
                SplittableRandom r = new SplittableRandom((s == null ? 0 : s) ^ u.hashCode());
                out.add(new Completion(answer(u, r), "stop"));
            }
            return new ModelResponse(out, null);
        }

        private static String after(String text, String marker) {
            int i = text.indexOf(marker);
            if (i < 0) return "";
            String rest = text.substring(i + marker.length() + 1);
            return rest.substring(0, rest.indexOf('\n') < 0 ? rest.length() : rest.indexOf('\n'));
        }

        private String answer(String u, SplittableRandom r) {
            if (u.startsWith("Categories:")) {
                return Checker.parse(after(u, "[User Request]")).map(p -> "Category: " + p.family().topic().label()).orElse("Category: none");
            }
            if (u.contains("Work the question out")) {
                String q = after(u, "[User Question]"), a = after(u, "[The Start of Assistant A's Answer]"),
                        b = after(u, "[The Start of Assistant B's Answer]");
                boolean aOk = Checker.isCorrect(q, a);
                char v = r.nextDouble() < skill ? (aOk ? 'A' : 'B') : (r.nextBoolean() ? 'A' : 'B');
                return MicroPrompts.judgment("?", v == 'A', v == 'B', "", v);
            }
            Problem p = Checker.parse(after(u, "[User Question]")).orElse(null);
            if (u.contains("Write a similar but different question")) {
                Problem s = p.similar(r);
                return MicroPrompts.modifiedAnswer(s.instruction(), s.response());
            }
            if (u.contains("Rewrite the answer with one mistake.")) return MicroPrompts.badAnswer(p.wrong(r));
            return Checker.parse(u).map(Problem::response).orElse("I do not know.");
        }
    }

    @Test
    void demoRunsTheMethodAndBaselinesAndWritesTheReport(@TempDir Path tmp) throws IOException {
        RunLoop.TrainerFactory trainers = (settings, roundDir) -> job -> {
            try {
                long rows = Files.lines(job.data()).count();
                Files.createDirectories(job.outputDir());
                return "scripted:" + roundDir.getFileName() + "-" + rows + "@" + Math.min(0.95, 0.5 + rows / 100.0);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        };
        Demo.Wiring wiring = new Demo.Wiring(Scripted::new, trainers);
        DemoPlan plan = new DemoPlan(SeedPretrainerTest.micro(), 60, 6, 3, 3, 3, 16, 80, Map.of("epochs", 1));
        var log = new ByteArrayOutputStream();
        Map<String, Object> report = new Demo(plan, 2, tmp.resolve("demo"), wiring, new PrintStream(log, true))
                .withFreshBenchmark(0x51L).run("scripted:seed@0.3");

        JsonNode r = PipelineIo.readJson(tmp.resolve("demo").resolve("report.json"));
        assertEquals(3, r.path("rounds").size(), "seed + 2 rounds");
        assertEquals(0, r.path("rounds").get(0).path("round").asInt());
        for (JsonNode row : r.path("rounds")) {
            for (String c : List.of("Overall", "Chat", "Chat Hard", "Safety", "Reasoning")) {
                assertTrue(row.path("categories").path(c).isNumber(), c + " in " + row);
            }
        }
        List<String> names = new ArrayList<>();
        r.path("baselines").forEach(b -> names.add(b.path("name").asText()));
        assertEquals(List.of("round 2 + majority vote (k=3)", "labelled data (independent pairs, checker labels)",
                "direct bad response (ablation), round 1", "direct bad response (ablation), round 2"), names);
        r.path("baselines").forEach(b -> assertTrue(b.path("categories").path("Overall").isNumber(), b.toString()));
        // the rounds really trained from the seed on annotated pairs and were evaluated on the 24-pair benchmark
        assertTrue(r.path("rounds").get(1).path("kept").asInt() > 0);
        assertEquals(24, PipelineIo.readJson(tmp.resolve("demo/main/round-1/eval/microbench/metrics.json")).path("n").asInt());
        assertTrue(Files.isRegularFile(tmp.resolve("demo/labelled-data/round-1/sft.jsonl")));
        // the labelled data are independent of the method's pairs: no instruction in common by construction of the seeds
        var methodPairs = PipelineIo.readJsonl(tmp.resolve("demo/main/pairs/pairs.jsonl"), dev.selftaught.pipeline.Records.Pair.class);
        var labPairs = PipelineIo.readJsonl(tmp.resolve("demo/labelled-data/pairs.jsonl"), dev.selftaught.pipeline.Records.Pair.class);
        assertEquals(methodPairs.size(), labPairs.size(), "as many labelled pairs as the method made");
        for (var p : labPairs) assertTrue(Checker.isCorrect(p.instruction(), p.chosen()) && !Checker.isCorrect(p.instruction(), p.rejected()), p.toString());
        // the method and the ablation trained on equal rows in every round (the larger run subsampled)
        for (int i = 1; i <= 2; i++) {
            JsonNode m = PipelineIo.readJson(tmp.resolve("demo/main/round-" + i + "/equal-rows.json"));
            JsonNode b = PipelineIo.readJson(tmp.resolve("demo/bad-response/round-" + i + "/equal-rows.json"));
            assertEquals(m.path("train_rows").asInt(), b.path("train_rows").asInt(), m + " vs " + b);
            assertEquals(Math.min(m.path("kept").asInt(), b.path("kept").asInt()), m.path("train_rows").asInt());
            Path used = tmp.resolve(m.path("kept").asInt() > b.path("kept").asInt() ? "demo/main" : "demo/bad-response")
                    .resolve("round-" + i + "/sft-equal.jsonl");
            if (m.path("kept").asInt() != b.path("kept").asInt()) {
                assertEquals(m.path("train_rows").asInt(), Files.readAllLines(used).size(), used.toString());
            }
        }
        assertTrue(Files.isRegularFile(tmp.resolve("demo/bad-response/pairs/pairs.jsonl")));
        assertTrue(Files.readString(tmp.resolve("demo/bad-response/pairs/pairs.jsonl")).contains("bad_response"));
        String table = Files.readString(tmp.resolve("demo/table.txt"));
        assertTrue(table.contains("seed (round 0)") && table.contains("self-taught round 2") && table.contains("Chat Hard"), table);
        // every judge was also scored on the fresh-seed benchmark, a different sample from the same held-out generators
        assertTrue(table.contains("fresh benchmark (generator seed 0x51"), table);
        assertNotEquals(Files.readString(tmp.resolve("demo/benchmark/microbench.jsonl")), Files.readString(tmp.resolve("demo/benchmark/fresh-51.jsonl")));
        for (JsonNode row : r.path("rounds")) assertTrue(row.path("fresh_categories").path("Overall").isNumber(), row.toString());
        r.path("baselines").forEach(b -> assertTrue(b.path("fresh_categories").path("Overall").isNumber(), b.toString()));
        // ... and shown in report.md and report.html next to the frozen benchmark's tables, with its own charts
        String freshMd = Files.readString(tmp.resolve("demo/report.md")), html = Files.readString(tmp.resolve("demo/report.html"));
        assertTrue(freshMd.contains("## selftaught demo") && freshMd.contains("fresh benchmark"), freshMd);
        assertTrue(html.contains("<h1 id=\"fresh\">") && html.indexOf("</body>") == html.lastIndexOf("</body>"), "one html page");
        assertTrue(Files.isRegularFile(tmp.resolve("demo/fresh/charts/accuracy.png")));
        String md = Files.readString(tmp.resolve("demo/report.md"));
        assertTrue(md.contains("Seed (round 0)") && md.contains("labelled data"), md);
        assertTrue(Files.size(tmp.resolve("demo/report.html")) > 1000);
        assertTrue(Files.isRegularFile(tmp.resolve("demo/charts/accuracy.png")));
        // The wiring, not the stub's skills: round 0 evaluates the seed; round k evaluates the model
        // trained on round k's own sft.jsonl; round 1 is annotated by the seed and round 2 by round 1's model.
        assertEquals("scripted:seed@0.3", r.path("rounds").get(0).path("model").asText());
        String previousJudge = "scripted:seed@0.3";
        for (int k = 1; k <= 2; k++) {
            Path rd = tmp.resolve("demo/main/round-" + k);
            long rows;
            try (var lines = Files.lines(rd.resolve("sft.jsonl"))) {
                rows = lines.count();
            }
            String model = r.path("rounds").get(k).path("model").asText();
            assertTrue(model.startsWith("scripted:round-" + k + "-" + rows + "@"), "round " + k + " evaluated " + model);
            JsonNode manifest = PipelineIo.readJson(rd.resolve("manifest.json"));
            assertEquals(previousJudge, manifest.path("inputs").path("judge").asText(), "judge of round " + k);
            assertEquals(model, manifest.path("model").asText());
            previousJudge = model;
        }
        assertEquals(((List<?>) report.get("rounds")).size(), r.path("rounds").size());

        double seed = r.path("rounds").get(0).path("categories").path("Overall").asDouble();
        // Uncertainty everywhere: every row's overall and categories carry a 95% interval around the
        // value; every row but the seed a paired difference from it; every trained row its pairs and kept rows.
        List<JsonNode> all = new ArrayList<>();
        r.path("rounds").forEach(all::add);
        r.path("baselines").forEach(all::add);
        for (JsonNode row : all) {
            for (String c : List.of("Overall", "Chat", "Chat Hard", "Safety", "Reasoning")) {
                double v = row.path("categories").path(c).asDouble();
                JsonNode ci = row.path("ci").path(c);
                assertTrue(ci.get(0).asDouble() <= v + 1e-9 && v <= ci.get(1).asDouble() + 1e-9, c + " in " + row);
            }
            if (row.path("round").asInt(-1) != 0) {
                JsonNode d = row.at("/vs_seed/Overall");
                assertEquals(row.at("/categories/Overall").asDouble() - seed, d.path("diff").asDouble(), 1e-6, row.toString());
                assertTrue(row.path("pairs").asInt() > 0 && row.path("kept").asInt() > 0, "pairs and kept in " + row);
            }
        }
        assertTrue(r.path("ci_method").asText().contains("bootstrap"));
        assertTrue(table.contains("Overall [95% CI]") && table.contains("vs seed [95% CI]") && table.contains("Pairs"), table);
        assertTrue(md.contains("Difference from the seed") && md.contains("direct bad response"), md);
    }
}
