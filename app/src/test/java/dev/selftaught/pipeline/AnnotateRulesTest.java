package dev.selftaught.pipeline;

import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.pipeline.AnnotateStageTest.TableJudge;
import dev.selftaught.pipeline.Records.Judgment;
import dev.selftaught.pipeline.Records.Pair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static dev.selftaught.pipeline.AnnotateStageTest.pairs;
import static dev.selftaught.pipeline.AnnotateStageTest.settings;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Annotate's decisions one by one, on scripted judgments: why each sampled judgment was not kept,
 * the majority threshold at its boundary, the order settings, failed judge calls, the DPO pairs
 * (spec §2.7) and the inputs of the done marker.
 */
class AnnotateRulesTest {
    @TempDir Path dir;

    static AnnotateSettings dpoSettings(int samples, boolean balance, int dpoPairs) {
        return new AnnotateSettings(samples, 0.7, 0.9, 256, "both", "AB", "sft", balance, 0, null, "llama3", true, "dpo", dpoPairs, 1);
    }

    static List<Judgment> of(AnnotateStage.Result r, String pair, String order) {
        return r.annotations().stream().filter(j -> j.pairId().equals(pair) && j.order().equals(order))
                .sorted(java.util.Comparator.comparingInt(Judgment::sample)).toList();
    }

    @Test
    void everyJudgmentNotKeptSaysWhy() {
        List<Pair> ps = pairs(1);
        String q = ps.get(0).instruction();
        // AB (gold A): three correct samples, one wrong: one picked, the other two not_picked.
        // BA (gold B): one correct, with majority 0.5 -> below_majority for the correct one.
        TableJudge judge = new TableJudge(Map.of(
                q + "|AB", List.of("[[A]] one", "[[B]]", "[[A]] two", "[[A]] three"),
                q + "|BA", List.of("[[B]] lone", "[[A]]", "[[C]]", "none")));
        var r = new AnnotateStage(new AnnotateSettings(4, 0.7, 0.9, 256, "both", "AB", "sft", false, 0.5, null, "llama3",
                false, "dpo", 1, 1), judge, 1, 1, ProgressFactory.NONE).run(ps);
        List<Judgment> ab = of(r, "p0", "AB");
        assertEquals(1, ab.stream().filter(Judgment::kept).count());
        Judgment picked = ab.stream().filter(Judgment::kept).findFirst().orElseThrow();
        assertNull(picked.dropReason());
        for (Judgment j : ab) {
            if (j.kept()) continue;
            assertEquals(j.correct() ? "not_picked" : "wrong", j.dropReason(), j.toString());
        }
        assertEquals(List.of(true, false, true, true), ab.stream().map(Judgment::correct).toList());
        assertEquals(List.of("A", "B", "A", "A"), ab.stream().map(Judgment::verdict).toList());
        List<Judgment> ba = of(r, "p0", "BA");
        assertEquals(List.of("below_majority", "wrong", "tie", "no_verdict"), ba.stream().map(Judgment::dropReason).toList());
        assertTrue(ba.stream().noneMatch(Judgment::kept));
        assertEquals(List.of(0, 1, 2, 3), ba.stream().map(Judgment::sample).toList());
        assertEquals(List.of("[[B]] lone", "[[A]]", "[[C]]", "none"), ba.stream().map(Judgment::text).toList());
        // The SFT row is the judge prompt and then exactly the picked text.
        assertEquals(1, r.sft().size());
        var msgs = r.sft().getFirst().messages();
        assertEquals(List.of("system", "user", "assistant"), msgs.stream().map(Records.Message::role).toList());
        assertEquals(picked.text(), msgs.getLast().content());
        assertTrue(msgs.get(1).content().contains(q), msgs.get(1).content());
        assertEquals(ChatFormat.uuid5(r.sftFairseq2().getFirst().src() + picked.text()), r.sftFairseq2().getFirst().id());
        assertEquals(picked.text(), r.sftFairseq2().getFirst().tgt());
        assertEquals(new AnnotateStats.PairOrders(2, 0, 0, 1, 1, 0, 0, 1, 0, 1), r.stats().pairOrders());
    }

    @Test
    void balancedOutJudgmentsSayBalancedOut() {
        List<Pair> ps = pairs(2);
        String q0 = ps.get(0).instruction(), q1 = ps.get(1).instruction();
        // Candidates: p0 AB and p1 AB (gold A), p0 BA (gold B); p1 BA has no correct sample.
        TableJudge judge = new TableJudge(Map.of(
                q0 + "|AB", List.of("[[A]]"), q1 + "|AB", List.of("[[A]]"),
                q0 + "|BA", List.of("[[B]]"), q1 + "|BA", List.of("[[A]]")));
        var r = new AnnotateStage(settings(1, "both", true, 0, false, 3), judge, 1, 1, ProgressFactory.NONE).run(ps);
        assertEquals(new AnnotateStats.PairOrders(4, 0, 1, 0, 2, 1, 1, 1, 1, 2), r.stats().pairOrders());
        long balancedOut = r.annotations().stream().filter(j -> "balanced_out".equals(j.dropReason())).count();
        assertEquals(1, balancedOut);
        Judgment out = r.annotations().stream().filter(j -> "balanced_out".equals(j.dropReason())).findFirst().orElseThrow();
        assertEquals("AB", out.order(), "the larger (gold A) group is cut");
        assertTrue(out.correct());
        assertFalse(out.kept());
        assertEquals(2, r.sft().size());
    }

    @Test
    void theMajorityThresholdKeepsAnExactlyEqualFraction() {
        List<Pair> ps = pairs(1);
        String q = ps.get(0).instruction();
        TableJudge judge = new TableJudge(Map.of(
                q + "|AB", List.of("[[A]]", "[[A]]", "[[B]]", "[[B]]"),   // 2 of 4 = 0.5: kept
                q + "|BA", List.of("[[B]]", "[[A]]", "[[A]]", "[[A]]"))); // 1 of 4 < 0.5: dropped
        var half = new AnnotateSettings(4, 0.7, 0.9, 256, "both", "AB", "sft", false, 0.5, null, "llama3", false, "dpo", 1, 1);
        var r = new AnnotateStage(half, judge, 1, 1, ProgressFactory.NONE).run(ps);
        assertEquals(1, r.stats().pairOrders().keptA());
        assertEquals(0, r.stats().pairOrders().keptB());
        assertEquals(1, r.stats().pairOrders().belowMajority());
        // Majority 0 is off: one correct sample of four is enough.
        var off = new AnnotateStage(settings(4, "both", false, 0, false, 1), judge, 1, 1, ProgressFactory.NONE).run(ps);
        assertEquals(2, off.stats().pairOrders().kept());
        assertEquals(0, off.stats().pairOrders().belowMajority());
    }

    @Test
    void orderSettingsChooseWhichPairOrdersAreShown() {
        List<Pair> ps = pairs(30);
        ScriptedModel judge = new ScriptedModel("j", 1.0);
        var fixedBA = new AnnotateSettings(1, 0.7, 0.9, 256, "fixed", "BA", "sft", false, 0, null, "llama3", false, "dpo", 1, 1);
        var r = new AnnotateStage(fixedBA, judge, 1, 1, ProgressFactory.NONE).run(ps);
        assertTrue(r.annotations().stream().allMatch(j -> j.order().equals("BA")));
        assertEquals(30, r.stats().pairOrders().total());
        assertEquals(30, r.stats().pairOrders().keptB(), "a perfect judge shown BA says [[B]]: gold B");

        var random = settings(1, "random", false, 0, false, 8);
        AnnotateStage stage = new AnnotateStage(random, judge, 1, 1, ProgressFactory.NONE);
        Map<String, String> orders = new HashMap<>();
        for (Pair p : ps) {
            List<String> o = stage.ordersFor(p);
            assertEquals(1, o.size());
            orders.put(p.id(), o.getFirst());
            assertEquals(o, stage.ordersFor(p), "the same pair gets the same order");
        }
        assertEquals(Set.of("AB", "BA"), new HashSet<>(orders.values()), "both orders occur over 30 pairs");
        var rr = stage.run(ps);
        for (Judgment j : rr.annotations()) assertEquals(orders.get(j.pairId()), j.order());
        AnnotateStage reseeded = new AnnotateStage(settings(1, "random", false, 0, false, 9), judge, 1, 1, ProgressFactory.NONE);
        assertNotEquals(orders, ps.stream().collect(java.util.stream.Collectors.toMap(Pair::id, p -> reseeded.ordersFor(p).getFirst())),
                "another seed, other orders");
        assertEquals(List.of("AB", "BA"), new AnnotateStage(settings(1, "both", false, 0, false, 1), judge, 1, 1, ProgressFactory.NONE)
                .ordersFor(ps.getFirst()));
    }

    @Test
    void failedJudgeCallsDropTheirPairOrdersAsModelErrors() {
        List<Pair> ps = pairs(3);
        String bad = ps.get(1).instruction();
        ScriptedModel good = new ScriptedModel("j", 1.0);
        LanguageModel flaky = new LanguageModel() {
            @Override public String identity() { return "flaky"; }
            @Override public ModelResponse complete(ModelRequest r) {
                if (r.messages().getLast().content().contains(bad)) throw new ModelException("refused", false);
                return good.complete(r);
            }
        };
        var r = new AnnotateStage(dpoSettings(2, false, 1), flaky, 1, 1, ProgressFactory.NONE).run(ps);
        AnnotateStats.PairOrders po = r.stats().pairOrders();
        assertEquals(6, po.total());
        assertEquals(2, po.modelError());
        assertEquals(4, po.kept());
        assertEquals(8, r.stats().samples().total(), "samples of the failed calls are not counted");
        assertTrue(r.annotations().stream().noneMatch(j -> j.pairId().equals("p1")));
        assertEquals(Map.of("no_correct", 0L, "below_majority", 0L, "model_error", 2L, "dropped_by_balancing", 0L), po.dropped());
        // A perfect judge gives no negatives: no DPO pair, and the failed pair-orders are not counted as "no negative".
        assertEquals(new AnnotateStats.Dpo(0, 4, 0, 0, 0, 0), r.stats().dpo());
    }

    @Test
    void dpoPairsArePositiveAgainstNegativeSamplesByTheDpoRule() {
        List<Pair> ps = pairs(3);
        String q0 = ps.get(0).instruction(), q1 = ps.get(1).instruction(), q2 = ps.get(2).instruction();
        TableJudge judge = new TableJudge(Map.of(
                // p0 AB: positives (DPO rule, gold A) "A1", "A2"; negatives "B1", "both": 2 x 2 = 4 combinations.
                q0 + "|AB", List.of("A1 [[A]]", "B1 [[B]]", "A2 [[A]]", "both [[A]] [[B]]"),
                // p0 BA: no positive.
                q0 + "|BA", List.of("x [[A]]", "y [[A]]", "z", "w [[C]]"),
                // p1 AB: no negative.
                q1 + "|AB", List.of("[[A]] 1", "[[A]] 2", "[[A]] 3", "[[A]] 4"),
                // p1 BA, p2 AB, p2 BA: one positive and one or more negatives each.
                q1 + "|BA", List.of("[[B]] good", "[[A]] bad", "[[A]] bad2", "[[A]] bad3"),
                q2 + "|AB", List.of("[[A]] good", "[[B]] bad", "[[A]] good2", "[[A]] good3"),
                q2 + "|BA", List.of("[[B]] good", "[[A]] bad", "[[B]] good2", "[[B]] good3")));
        var three = new AnnotateStage(dpoSettings(4, false, 3), judge, 1, 1, ProgressFactory.NONE).run(ps);
        AnnotateStats.Dpo d = three.stats().dpo();
        assertEquals(1, d.noPositive());
        assertEquals(1, d.noNegative());
        assertEquals(2, d.candidatesA(), "p0 AB, p2 AB");
        assertEquals(2, d.candidatesB(), "p1 BA, p2 BA");
        assertEquals(0, d.droppedByBalancing());
        // p0 AB: min(3, 4) = 3; p1 BA: 3 (1 x 3); p2 AB: 3 (3 x 1); p2 BA: 3 (3 x 1).
        assertEquals(12, d.pairs());
        assertEquals(12, three.dpo().size());
        assertEquals(12, three.dpoFairseq2().size());
        for (var row : three.dpo()) {
            String chosen = row.chosen().getFirst().content(), rejected = row.rejected().getFirst().content();
            assertEquals("assistant", row.chosen().getFirst().role());
            String user = row.prompt().getLast().content();
            String gold = user.contains("[The Start of Assistant A's Answer]\nAnswer to: " + q0 + "\n")
                    || user.contains("[The Start of Assistant A's Answer]\nAnswer to: " + q1 + "\n")
                    || user.contains("[The Start of Assistant A's Answer]\nAnswer to: " + q2 + "\n") ? "A" : "B";
            assertEquals(gold, dev.selftaught.eval.ParseRule.DPO.parse(chosen).jsonName(), chosen);
            assertNotEquals(gold, dev.selftaught.eval.ParseRule.DPO.parse(rejected).jsonName(), rejected);
        }
        Set<String> distinct = new HashSet<>();
        for (var row : three.dpoFairseq2()) {
            assertTrue(distinct.add(row.tgtChosen() + "|" + row.tgtRejected() + "|" + row.src()), "no combination twice");
            assertEquals(ChatFormat.uuid5(row.src() + row.tgtChosen() + row.tgtRejected()), row.id());
        }
        // One combination per pair-order by default, and balancing cuts the larger side.
        var one = new AnnotateStage(dpoSettings(4, true, 1), judge, 1, 1, ProgressFactory.NONE).run(ps);
        assertEquals(new AnnotateStats.Dpo(1, 1, 2, 2, 0, 4), one.stats().dpo());
        assertEquals(4, one.dpo().size());
    }

    @Test
    void balanceCutsTheLargerGroupToTheSmallerOnlyWhenOn() {
        List<Integer> a = List.of(1, 2, 3, 4, 5), b = List.of(10, 11);
        List<Integer> on = AnnotateStage.balance(a, b, new Random(3), true);
        assertEquals(4, on.size());
        assertEquals(2, on.stream().filter(x -> x >= 10).count());
        assertTrue(a.containsAll(on.stream().filter(x -> x < 10).toList()));
        List<Integer> off = AnnotateStage.balance(a, b, new Random(3), false);
        assertEquals(Set.of(1, 2, 3, 4, 5, 10, 11), new HashSet<>(off));
        assertEquals(7, off.size());
        assertEquals(off, AnnotateStage.balance(a, b, new Random(3), false), "seeded");
        // The merged list is shuffled: over seeds, the two groups are interleaved, not concatenated.
        boolean interleaved = false;
        for (int s = 0; s < 20 && !interleaved; s++) {
            List<Integer> x = AnnotateStage.balance(a, b, new Random(s), false);
            interleaved = x.indexOf(10) < 5 || x.indexOf(11) < 5;
        }
        assertTrue(interleaved);
        assertEquals(List.of(), AnnotateStage.balance(a, List.of(), new Random(1), true), "nothing of one side: nothing kept");
    }

    @Test
    void theMarkerInputsNameWhatDecidesTheResult() throws Exception {
        Path pf = dir.resolve("pairs.jsonl");
        PipelineIo.writeJsonl(pf, pairs(2));
        ScriptedModel judge = new ScriptedModel("judge-1", 1.0);
        Map<String, String> in = new AnnotateStage(settings(2, "both", true, 0, false, 1), judge, 3, 1, ProgressFactory.NONE).inputs(pf);
        assertEquals(List.of("pairs", "settings", "judge_prompt", "judge", "round"), new ArrayList<>(in.keySet()));
        assertEquals(PipelineIo.sha256(pf), in.get("pairs"));
        assertEquals("scripted:judge-1@1.0", in.get("judge"));
        assertEquals("3", in.get("round"));
        Map<String, String> other = new AnnotateStage(settings(3, "both", true, 0, false, 1), judge, 3, 1, ProgressFactory.NONE).inputs(pf);
        assertNotEquals(in.get("settings"), other.get("settings"));
        assertEquals(in.get("judge_prompt"), other.get("judge_prompt"));
        var evalPlan = new AnnotateSettings(2, 0.7, 0.9, 256, "both", "AB", "sft", true, 0, "eval-plan", "llama3", false, "dpo", 1, 1);
        assertNotEquals(in.get("judge_prompt"), new AnnotateStage(evalPlan, judge, 3, 1, ProgressFactory.NONE).inputs(pf).get("judge_prompt"));
    }

    @Test
    void withoutDpoNoDpoFilesAreWrittenAndStatsReadBack() throws Exception {
        Path pf = dir.resolve("pairs.jsonl");
        PipelineIo.writeJsonl(pf, pairs(4));
        Path rd = dir.resolve("round-2");
        AnnotateStage stage = new AnnotateStage(settings(2, "both", true, 0, false, 1), new ScriptedModel("j", 0.8), 2, 1, ProgressFactory.NONE);
        AnnotateStats s = stage.runInto(rd, pf, false);
        assertFalse(Files.exists(rd.resolve(AnnotateStage.DPO)));
        assertFalse(Files.exists(rd.resolve(AnnotateStage.DPO_FAIRSEQ2)));
        assertNull(s.dpo());
        assertEquals(2, s.round());
        assertEquals("sft", s.verdictRule());
        assertEquals("scripted:j@0.8", s.judge());
        assertFalse(PipelineIo.readJson(rd.resolve(AnnotateStage.STATS)).has("dpo"));
        assertEquals(s, stage.runInto(rd, pf, false), "done: read back from stats.json");
        assertEquals(s, AnnotateStats.fromJson(s.toJson()));
    }

    @Test
    void aDamagedStatsFileIsAnErrorNamingTheKey() {
        Map<String, Object> good = new AnnotateStats(1, "j", "sft", new AnnotateStats.Samples(4, 1, 0, 1, 2),
                new AnnotateStats.PairOrders(2, 0, 1, 0, 1, 0, 0, 1, 0, 1), new AnnotateStats.Dpo(1, 2, 3, 4, 5, 6)).toJson();
        assertEquals(good, AnnotateStats.fromJson(good).toJson());
        Map<String, Object> noRound = new LinkedHashMap<>(good);
        noRound.remove("round");
        assertEquals("stats.json: \"round\" is missing", assertThrows(IllegalArgumentException.class, () -> AnnotateStats.fromJson(noRound)).getMessage());
        Map<String, Object> flat = new LinkedHashMap<>(good);
        flat.put("samples", 3);
        assertEquals("stats.json: \"samples\" is not an object", assertThrows(IllegalArgumentException.class, () -> AnnotateStats.fromJson(flat)).getMessage());
        Map<String, Object> text = new LinkedHashMap<>(good);
        Map<String, Object> po = new LinkedHashMap<>(pairOrders(good));
        po.put("kept", "many");
        text.put("pair_orders", po);
        assertEquals("stats.json: \"kept\" is not a number", assertThrows(IllegalArgumentException.class, () -> AnnotateStats.fromJson(text)).getMessage());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> pairOrders(Map<String, Object> stats) { return (Map<String, Object>) stats.get("pair_orders"); }
}
