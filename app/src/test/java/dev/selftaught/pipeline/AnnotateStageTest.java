package dev.selftaught.pipeline;

import dev.selftaught.llm.Completion;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.pipeline.Records.Judgment;
import dev.selftaught.pipeline.Records.Pair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

class AnnotateStageTest {
    @TempDir Path dir;

    static List<Pair> pairs(int n) {
        List<Pair> ps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String x = "Question " + i + " about topic " + (i * 7 % 5);
            ps.add(new Pair("p" + i, x, x + " (but in reverse)", "Answer to: " + x, "Answer to: " + x + " (but in reverse)",
                    "modified_instruction"));
        }
        return ps;
    }

    static AnnotateSettings settings(int samples, String order, boolean balance, double majority, boolean dpo, long seed) {
        return new AnnotateSettings(samples, 0.7, 0.9, 256, order, "AB", "sft", balance, majority, null, "llama3", dpo, "dpo", 1, seed);
    }

    /** A judge whose samples are scripted per (pair, order): a list of texts to return in sample order. */
    static class TableJudge implements LanguageModel {
        final Map<String, List<String>> byQuestionAndOrder;
        final List<String> prompts = new CopyOnWriteArrayList<>();

        TableJudge(Map<String, List<String>> table) { this.byQuestionAndOrder = table; }

        @Override public String identity() { return "table"; }

        @Override
        public ModelResponse complete(ModelRequest r) {
            String user = r.messages().getLast().content();
            prompts.add(user);
            var m = ScriptedModel.Q.matcher(user);
            assertTrue(m.find(), user);
            String order = m.group(2).equals("Answer to: " + m.group(1)) ? "AB" : "BA";
            List<String> texts = byQuestionAndOrder.get(m.group(1) + "|" + order);
            List<Completion> out = new ArrayList<>();
            for (int k = 0; k < r.params().n(); k++) out.add(new Completion(texts.get(k), "stop"));
            return new ModelResponse(out, null);
        }
    }

    @Test
    void rejectionSamplingKeepsOnlyCorrectJudgmentsAndCountsEveryOutcome() {
        List<Pair> ps = pairs(2);
        String q0 = ps.get(0).instruction(), q1 = ps.get(1).instruction();
        TableJudge judge = new TableJudge(Map.of(
                q0 + "|AB", List.of("no verdict", "[[B]] wrong", "both [[A]] and [[B]]", "good [[A]]"),
                q0 + "|BA", List.of("[[A]] wrong", "[[C]] tie", "x [[B]] right", "y [[B]] right"),
                q1 + "|AB", List.of("[[B]]", "[[B]]", "nothing", "[[C]]"),
                q1 + "|BA", List.of("[[B]] one", "[[B]] two", "[[B]] three", "[[A]]")));
        var r = new AnnotateStage(settings(4, "both", false, 0, false, 1), judge, 1, 2, ProgressFactory.NONE).run(ps);
        // 'no verdict', 'both markers' (sft rule) and 'nothing' have no verdict.
        assertEquals(new AnnotateStats.Samples(16, 3, 2, 5, 6), r.stats().samples());
        // p1 AB has no correct sample; the three others keep one each (no balancing).
        assertEquals(new AnnotateStats.PairOrders(4, 0, 1, 0, 1, 2, 0, 1, 2, 3), r.stats().pairOrders());
        assertEquals(1, r.stats().round());
        assertNull(r.stats().dpo());
        for (Judgment j : r.annotations()) {
            if (j.kept()) assertTrue(j.correct(), "kept must be correct: " + j);
        }
        assertEquals(3, r.annotations().stream().filter(Judgment::kept).count());
        // One kept judgment per surviving pair-order, and the SFT target is exactly that text.
        Set<String> keptTexts = new HashSet<>();
        r.annotations().stream().filter(Judgment::kept).forEach(j -> keptTexts.add(j.text()));
        Set<String> sftTargets = new HashSet<>();
        r.sft().forEach(row -> sftTargets.add(row.messages().getLast().content()));
        assertEquals(keptTexts, sftTargets);
        // The pair-order with no correct sample (p1, AB: "[[B]]", "[[B]]", "nothing", "[[C]]" with
        // the chosen answer shown as A): all four samples recorded, in sample order, none kept,
        // each with the reason its own verdict gives.
        List<Judgment> p1ab = r.annotations().stream().filter(j -> j.pairId().equals("p1") && j.order().equals("AB"))
                .sorted(java.util.Comparator.comparingInt(Judgment::sample)).toList();
        assertEquals(List.of("wrong", "wrong", "no_verdict", "tie"), p1ab.stream().map(Judgment::dropReason).toList());
        assertTrue(p1ab.stream().noneMatch(j -> j.kept() || j.correct()), p1ab.toString());
    }

    @Test
    void randomPickAmongCorrectDependsOnSeedAndIsReproducible() {
        List<Pair> ps = pairs(1);
        String q = ps.get(0).instruction();
        List<String> many = new ArrayList<>();
        for (int k = 0; k < 15; k++) many.add("reason " + k + " [[A]]");
        TableJudge judge = new TableJudge(Map.of(q + "|AB", many, q + "|BA", many));
        Set<String> picks = new HashSet<>();
        for (long seed = 1; seed <= 12; seed++) {
            var s = settings(15, "fixed", false, 0, false, seed);
            var a = new AnnotateStage(s, judge, 1, 1, ProgressFactory.NONE).run(ps);
            var b = new AnnotateStage(s, judge, 1, 1, ProgressFactory.NONE).run(ps);
            assertEquals(a.sft(), b.sft());
            picks.add(a.sft().getFirst().messages().getLast().content());
        }
        assertTrue(picks.size() > 3, "different seeds pick different correct samples: " + picks);
    }

    @Test
    void balancingTruncatesTheLargerClassExactly() {
        // Judge always says [[A]]: every AB order is correct, no BA order is, except ... use a skilled scripted judge.
        List<Pair> ps = pairs(40);
        ScriptedModel judge = new ScriptedModel("j", 0.6);
        var unbalanced = new AnnotateStage(settings(3, "both", false, 0, false, 5), judge, 1, 4, ProgressFactory.NONE).run(ps);
        var balanced = new AnnotateStage(settings(3, "both", true, 0, false, 5), judge, 1, 4, ProgressFactory.NONE).run(ps);
        AnnotateStats.PairOrders u = unbalanced.stats().pairOrders(), b = balanced.stats().pairOrders();
        long a = u.keptA(), bb = u.keptB();
        assertNotEquals(a, bb, "the scripted data must be unbalanced for this test to mean anything");
        assertEquals(0, u.droppedByBalancing());
        assertEquals(a, u.candidatesA());
        assertEquals(bb, u.candidatesB());
        long min = Math.min(a, bb);
        assertEquals(min, b.keptA());
        assertEquals(min, b.keptB());
        assertEquals(2 * min, b.kept());
        assertEquals(a, b.candidatesA());
        assertEquals(bb, b.candidatesB());
        assertEquals(Math.abs(a - bb), b.droppedByBalancing());
        assertEquals(2 * min, balanced.sft().size());
        assertEquals(Math.abs(a - bb), balanced.annotations().stream().filter(j -> "balanced_out".equals(j.dropReason())).count());
    }

    @Test
    void majorityFilterDropsPairOrdersBelowTheFraction() {
        List<Pair> ps = pairs(1);
        String q = ps.get(0).instruction();
        TableJudge judge = new TableJudge(Map.of(
                q + "|AB", List.of("[[A]]", "[[B]]", "[[B]]", "none"),
                q + "|BA", List.of("[[B]]", "[[B]]", "[[B]]", "[[A]]")));
        var r = new AnnotateStage(settings(4, "both", false, 0.5, false, 1), judge, 1, 1, ProgressFactory.NONE).run(ps);
        // AB: 1 of 4 correct < 0.5; BA: 3 of 4 correct.
        AnnotateStats.PairOrders u = r.stats().pairOrders();
        assertEquals(1, u.belowMajority());
        assertEquals(1, u.keptB());
        assertEquals(0, u.keptA());
        assertEquals(u.dropped(), Map.of("no_correct", 0L, "below_majority", 1L, "model_error", 0L, "dropped_by_balancing", 0L));
    }

    @Test
    void distinctInputsGiveDistinctPromptsAndTemplatesStayIntact() {
        List<Pair> ps = pairs(6);
        ScriptedModel judge = new ScriptedModel("j", 1.0);
        TableJudge recorder = new TableJudge(null) {
            @Override public ModelResponse complete(ModelRequest r) {
                prompts.add(r.messages().getLast().content());
                return judge.complete(r);
            }
        };
        new AnnotateStage(settings(1, "both", false, 0, false, 1), recorder, 1, 3, ProgressFactory.NONE).run(ps);
        assertEquals(12, recorder.prompts.size());
        assertEquals(12, new HashSet<>(recorder.prompts).size(), "every pair-order has its own prompt");
        // A response containing a slot name is shown literally and does not leak into other prompts.
        Pair tricky = new Pair("t", "Q {response_b}", "m", "Answer to: Q {response_b}", "{input} {response_a}", "x");
        var r = new AnnotateStage(settings(1, "fixed", false, 0, false, 1), judge, 1, 1, ProgressFactory.NONE).run(List.of(tricky));
        String user = r.annotations().isEmpty() ? null : r.sft().isEmpty() ? null : r.sft().getFirst().messages().get(1).content();
        assertNotNull(user);
        assertTrue(user.contains("[The Start of Assistant B's Answer]\n{input} {response_a}\n"), user);
    }

    @Test
    void writesExportsInTheDocumentedShapes() throws Exception {
        List<Pair> ps = pairs(10);
        var stage = new AnnotateStage(settings(4, "both", true, 0, true, 3), new ScriptedModel("j", 0.7), 1, 2, ProgressFactory.NONE);
        Path pf = dir.resolve("pairs.jsonl");
        PipelineIo.writeJsonl(pf, ps);
        Path rd = dir.resolve("round-1");
        AnnotateStats stats = stage.runInto(rd, pf, false);
        for (String f : List.of("annotations.jsonl", "sft.jsonl", "sft_fairseq2.jsonl", "dpo.jsonl", "dpo_fairseq2.jsonl", "stats.json")) {
            assertTrue(Files.isRegularFile(rd.resolve(f)), f);
        }
        var sft = PipelineIo.JSON.readTree(Files.readAllLines(rd.resolve("sft.jsonl")).getFirst());
        assertEquals("system", sft.path("messages").get(0).path("role").asText());
        assertEquals("user", sft.path("messages").get(1).path("role").asText());
        assertEquals("assistant", sft.path("messages").get(2).path("role").asText());
        var f2 = PipelineIo.JSON.readTree(Files.readAllLines(rd.resolve("sft_fairseq2.jsonl")).getFirst());
        assertTrue(f2.path("src").asText().startsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"));
        assertTrue(f2.path("src").asText().endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n"));
        assertEquals(ChatFormat.uuid5(f2.path("src").asText() + f2.path("tgt").asText()), f2.path("id").asText());
        var dpo = PipelineIo.JSON.readTree(Files.readAllLines(rd.resolve("dpo_fairseq2.jsonl")).getFirst());
        assertTrue(dpo.has("tgt_chosen") && dpo.has("tgt_rejected") && dpo.has("src") && dpo.has("id"));
        var dpoTrl = PipelineIo.JSON.readTree(Files.readAllLines(rd.resolve("dpo.jsonl")).getFirst());
        assertEquals("assistant", dpoTrl.path("chosen").get(0).path("role").asText());
        var ann = PipelineIo.JSON.readTree(Files.readAllLines(rd.resolve("annotations.jsonl")).getFirst());
        for (String k : List.of("pair_id", "order", "sample", "text", "verdict", "correct", "kept", "drop_reason")) {
            assertTrue(ann.has(k), k);
        }
        assertTrue(Files.isRegularFile(rd.resolve("annotate/done")));
        // stats.json holds the record's counts under the documented keys, and a second run (done
        // marker) reads back the same record.
        var json = PipelineIo.readJson(rd.resolve("stats.json"));
        assertEquals(List.of("dpo", "judge", "pair_orders", "round", "samples", "verdict_rule"), names(json));
        assertEquals(List.of("below_majority", "candidates_A", "candidates_B", "dropped_by_balancing", "kept", "kept_A", "kept_B",
                "model_error", "no_correct", "total"), names(json.path("pair_orders")));
        assertEquals(List.of("candidates_A", "candidates_B", "dropped_by_balancing", "no_negative", "no_positive", "pairs"),
                names(json.path("dpo")));
        assertEquals(stats.pairOrders().kept(), json.path("pair_orders").path("kept").asLong());
        assertEquals(stats.dpo().pairs(), Files.readAllLines(rd.resolve("dpo.jsonl")).size());
        assertEquals(stats.pairOrders().kept(), Files.readAllLines(rd.resolve("sft.jsonl")).size());
        assertEquals(stats, stage.runInto(rd, pf, false));
    }

    private static List<String> names(com.fasterxml.jackson.databind.JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void uuid5MatchesPythonsUuidModule() {
        // python3 -c "import uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, 'python.org'))"
        assertEquals("7af94e2b-4dd9-50f0-9c9a-8a48519bdef0", ChatFormat.uuid5("python.org"));
    }
}
