package dev.selftaught.engine.train;

import dev.selftaught.engine.model.LlamaWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** DPO training on a tiny model: packing, reference cache, learning, resumption. */
class DpoTrainerTest {

    /** Pairs whose chosen answer follows a rule of the prompt and whose rejected answer breaks it. */
    static List<DpoPlan.Pair> pairs(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<DpoPlan.Pair> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] p = new int[3 + r.nextInt(4)];
            for (int j = 0; j < p.length; j++) p[j] = 1 + r.nextInt(20);
            int n = 2 + r.nextInt(3);
            int[] c = new int[n], w = new int[n];
            for (int j = 0; j < n; j++) {
                c[j] = (p[0] + j * 3) % 24;
                w[j] = (p[0] + j * 3 + 1 + r.nextInt(5)) % 24;
            }
            out.add(new DpoPlan.Pair(p, c, w));
        }
        return out;
    }

    @Test
    void everyPairOncePerEpochWithBothSequencesInOneMicroBatchAndOnlyAnswersAsTargets() {
        List<DpoPlan.Pair> ps = pairs(15, 3);
        DpoPlan plan = new DpoPlan(ps, 64, 40, 2, 9, SftPlan.Truncation.DROP);
        assertEquals(2, plan.epochEnds().size());
        for (int e = 0; e < 2; e++) {
            Set<Integer> seen = new HashSet<>();
            int from = e == 0 ? 0 : plan.epochEnds().get(0);
            for (int i = from; i < plan.epochEnds().get(e); i++) {
                DpoPlan.Batch b = plan.get(i);
                int[] counts = new int[2 * b.size()];
                double[] zero = new double[b.tokens().tokens().length];
                for (int p = 0; p < zero.length; p++) zero[p] = b.tokens().targets()[p] == TokenBatch.IGNORE ? Double.NaN : 0;
                DpoPlan.sequenceLogps(b, zero, counts);
                for (int k = 0; k < b.size(); k++) {
                    assertTrue(seen.add(b.pairs()[k]), "pair twice in an epoch");
                    DpoPlan.Pair p = ps.get(b.pairs()[k]);
                    assertEquals(p.chosen().length, counts[2 * k], "targets = the chosen answer's tokens");
                    assertEquals(p.rejected().length, counts[2 * k + 1], "targets = the rejected answer's tokens");
                }
            }
            assertEquals(15, seen.size());
        }
        assertTrue(plan.size() > 2, "a 40-token budget splits 15 pairs over several micro-batches");
        // a pair whose sequence is longer than a row is dropped, or cut at the answer's end
        List<DpoPlan.Pair> longOne = new ArrayList<>(ps);
        longOne.add(new DpoPlan.Pair(new int[] {1, 2, 3}, new int[] {4, 5, 6, 7, 8, 9, 10}, new int[] {4}));
        DpoPlan dropped = new DpoPlan(longOne, 8, 64, 1, 1, SftPlan.Truncation.DROP);
        assertEquals(1, dropped.dropped());
        assertEquals(ps.size() - countLonger(ps, 8), dropped.kept());
        DpoPlan cut = new DpoPlan(longOne, 8, 64, 1, 1, SftPlan.Truncation.CUT_END);
        assertEquals(0, cut.dropped());
        assertTrue(cut.cut() >= 1);
    }

    private static int countLonger(List<DpoPlan.Pair> ps, int seq) {
        int n = 0;
        for (DpoPlan.Pair p : ps) if (p.prompt().length + Math.max(p.chosen().length, p.rejected().length) - 1 > seq) n++;
        return n;
    }

    @Test
    void lossFallsAndTheMarginGrowsAndTheReferenceIsTheStartingModel(@TempDir Path dir) {
        for (boolean lora : new boolean[] {false, true}) {
            LlamaWeights w = new LlamaWeights(TrainerTest.TINY).initRandom(11);
            DpoPlan plan = new DpoPlan(pairs(16, 4), 64, 96, 12, 2, SftPlan.Truncation.DROP);
            TrainOptions o = TrainerTest.opts().withLr(lora ? 1e-2f : 3e-3f).withCheckpointEvery(0);
            if (lora) o = o.withLora(new LoraConfig(4, 8f, 0f, LoraConfig.parseTargets("q,k,v,o,gate,up,down")));
            try (Trainer t = new Trainer(w, o)) {
                Path cache = dir.resolve(lora + "-ref.bin");
                double[] ref = DpoReference.compute(t.model(), plan, cache, "tiny-11", null);
                DpoObjective obj = new DpoObjective(plan, ref, 0.5, 0.2);
                double[] before = obj.evaluate(t.model());
                assertEquals(0, before[1], 1e-4, "policy = reference at the start: zero margin");
                assertEquals(Math.log(2) + 0.2 * nll(t.model(), plan), before[0], 1e-4);
                List<DpoObjective.Stats> steps = new ArrayList<>();
                t.train(obj, null, null, null, new Trainer.Listener() {
                    @Override public void onStep(Trainer.Step s) { steps.add(obj.lastStats()); }
                });
                double[] after = obj.evaluate(t.model());
                assertTrue(after[0] < before[0] - 0.2, (lora ? "LoRA" : "full") + ": loss " + before[0] + " -> " + after[0]);
                String what = (lora ? "LoRA" : "full") + ": loss " + before[0] + " -> " + after[0] + ", margin " + after[1] + ", accuracy " + after[2];
                assertTrue(after[1] > 0.5, "the margin grows from 0: " + what);
                assertTrue(after[2] >= 0.9, "chosen answers now beat their rejected ones: " + what);
                assertEquals(plan.size() / (double) TrainerTest.opts().accumSteps(), steps.size(), 1.0);
                assertTrue(steps.getLast().margin() > steps.getFirst().margin());
                for (DpoObjective.Stats st : steps) assertTrue(st.pairs() > 0 && st.pairs() <= 16 && st.accuracy() >= 0 && st.accuracy() <= 1);
            }
        }
    }

    /** One DPO run over a fresh copy of the same start, into {@code stateDir} (or none), killed after step {@code killAt} (0: never). */
    private static LlamaWeights run(Path stateDir, long killAt) {
        LlamaWeights w = new LlamaWeights(TrainerTest.TINY).initRandom(21);
        DpoPlan plan = new DpoPlan(pairs(12, 6), 64, 48, 2, 4, SftPlan.Truncation.DROP);
        try (Trainer t = new Trainer(w, TrainerTest.opts().withAccumSteps(2))) {
            double[] ref = DpoReference.compute(t.model(), plan, stateDir == null ? null : stateDir.resolve("ref.bin"), "tiny-21", null);
            t.train(new DpoObjective(plan, ref, 0.1, 1.5), null, null, stateDir, new Trainer.Listener() {
                @Override public void onStep(Trainer.Step st) { if (st.step() == killAt) throw new IllegalStateException("killed"); }
            });
        }
        return w;
    }

    @Test
    void aKilledDpoRunResumesToTheSameWeightsAsAnUninterruptedOne(@TempDir Path dir) {
        LlamaWeights straight = run(null, 0);
        assertThrows(IllegalStateException.class, () -> run(dir, 3));
        // the resumed run's reference comes from the cache (the state's weights are not the reference any more)
        LlamaWeights resumed = run(dir, 0);
        TrainerTest.assertWeightsEqual(straight, resumed);
        // a state written under other DPO settings is not taken for this run's
        LlamaWeights w = new LlamaWeights(TrainerTest.TINY).initRandom(21);
        DpoPlan plan = new DpoPlan(pairs(12, 6), 64, 48, 2, 4, SftPlan.Truncation.DROP);
        try (Trainer t = new Trainer(w, TrainerTest.opts().withAccumSteps(2))) {
            double[] ref = DpoReference.compute(t.model(), plan, dir.resolve("ref.bin"), "tiny-21", null);
            var e = assertThrows(IllegalStateException.class, () -> t.train(new DpoObjective(plan, ref, 0.2, 1.5), null, null, dir, null));
            assertTrue(e.getMessage().contains("different settings"), e.getMessage());
        }
    }

    /** Mean over pairs of the chosen answer's mean token loss. */
    private static double nll(TrainingModel m, DpoPlan plan) {
        double s = 0;
        int n = 0;
        for (int i = 0; i < plan.firstEpochSize(); i++) {
            DpoPlan.Batch b = plan.get(i);
            int[] counts = new int[2 * b.size()];
            double[] lp = DpoPlan.sequenceLogps(b, m.tokenLosses(b.tokens()), counts);
            for (int k = 0; k < b.size(); k++, n++) s += -lp[2 * k] / counts[2 * k];
        }
        return s / n;
    }

    @Test
    void theReferenceCacheIsReusedResumedAndRecomputedForOtherData(@TempDir Path dir) throws Exception {
        LlamaWeights w = new LlamaWeights(TrainerTest.TINY).initRandom(5);
        DpoPlan plan = new DpoPlan(pairs(20, 8), 64, 40, 1, 3, SftPlan.Truncation.DROP);
        Path cache = dir.resolve("ref.bin");
        try (Workers wk = new Workers(2)) {
            TrainingModel m = new TrainingModel(w, false, null, wk);
            double[] full = DpoReference.compute(m, plan, cache, "model-a", null);
            for (double v : full) assertTrue(v < 0, "log-probabilities are negative: " + v);
            assertTrue(Files.isRegularFile(cache));
            assertFalse(Files.exists(dir.resolve("ref.bin.tmp")), "written atomically, no temporary left");
            // a second run computes nothing
            int[] computed = {-1};
            double[] again = DpoReference.compute(m, plan, cache, "model-a", (done, total, resumed) -> { if (computed[0] < 0) computed[0] = total - done; });
            assertEquals(0, computed[0]);
            assertArrayEquals(full, again);
            // killed half-way (the cache rewritten after every micro-batch here): resumes where it stopped, same numbers
            int half = plan.firstEpochSize() / 2;
            Path partial = dir.resolve("partial.bin");
            assertThrows(IllegalStateException.class, () -> DpoReference.compute(m, plan, partial, "model-a", (done, total, r) -> {
                if (done == half) throw new IllegalStateException("killed");
            }, 0L));
            List<Integer> starts = new ArrayList<>();
            double[] resumed = DpoReference.compute(m, plan, partial, "model-a", (done, total, r) -> { if (starts.isEmpty()) starts.add(done); }, 0L);
            assertEquals(half, starts.getFirst());
            assertArrayEquals(full, resumed);
            // another reference model: computed again, not taken from the cache
            int[] recomputed = {-1};
            DpoReference.compute(m, plan, cache, "model-b", (done, total, r) -> { if (recomputed[0] < 0) recomputed[0] = total - done; });
            assertEquals(plan.firstEpochSize(), recomputed[0]);
        }
    }
}
