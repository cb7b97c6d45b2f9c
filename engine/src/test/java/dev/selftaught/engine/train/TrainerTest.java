package dev.selftaught.engine.train;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class TrainerTest {
    static final LlamaConfig TINY = new LlamaConfig(32, 64, 2, 4, 2, 24, 64, 1e-5f, 10000f, null, false, false);

    static int[] stream(int n, long seed) {
        // a repeating pattern with a little noise: learnable
        SplittableRandom r = new SplittableRandom(seed);
        int[] s = new int[n];
        for (int i = 0; i < n; i++) s[i] = r.nextInt(10) == 0 ? r.nextInt(24) : (i * 7 + i / 5) % 24;
        return s;
    }

    static List<SftPlan.Example> examples(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<SftPlan.Example> ex = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] p = new int[3 + r.nextInt(5)];
            for (int j = 0; j < p.length; j++) p[j] = 1 + r.nextInt(20);
            int[] c = new int[2 + r.nextInt(3)];
            for (int j = 0; j < c.length; j++) c[j] = (p[0] + j * 3) % 24; // completion determined by the prompt's first token
            ex.add(new SftPlan.Example(p, c));
        }
        return ex;
    }

    static TrainOptions opts() {
        return TrainOptions.defaults().withLr(3e-3f).withWarmup(2).withThreads(2).withCheckpointEvery(1);
    }

    @Test
    void pretrainingOverfitsASmallStream() {
        LlamaWeights w = new LlamaWeights(TINY).initRandom(1);
        int[] s = stream(8 * 33 + 1, 2);
        try (Trainer t = new Trainer(w, opts().withLr(1e-2f).withWarmup(5))) {
            PretrainPlan plan = new PretrainPlan(s, 4, 32, 60, 3);
            double before = t.evaluateLoss(new PretrainPlan(s, 4, 32, 1, 3));
            Trainer.Result r = t.train(plan, null, null, null, null);
            double after = t.evaluateLoss(new PretrainPlan(s, 4, 32, 1, 3));
            assertTrue(before > 2.5, "initial loss should be near ln(24): " + before);
            assertTrue(after < 0.1, "tiny model should memorise 8 sequences, loss " + after);
            assertEquals(120, r.steps());
        }
    }

    @Test
    void sftLearnsCompletionsOnlyAndPackingDoesNotLeak() {
        List<SftPlan.Example> ex = examples(12, 5);
        SftPlan plan = new SftPlan(ex, 64, 64, 1, 1);
        // loss positions are exactly the completion tokens
        int targets = 0, expected = 0;
        for (int i = 0; i < plan.size(); i++) targets += plan.get(i).targetCount();
        for (SftPlan.Example e : ex) expected += e.completion().length;
        assertEquals(expected, targets);

        LlamaWeights w = new LlamaWeights(TINY).initRandom(7);
        try (Workers wk = new Workers(2)) {
            TrainingModel m = new TrainingModel(w, false, null, wk);
            // each example alone vs all packed: identical per-example losses means no cross-talk
            double alone = 0;
            for (SftPlan.Example e : ex) {
                SftPlan one = new SftPlan(List.of(e), 64, 64, 1, 1);
                alone += m.loss(one.get(0));
            }
            double packed = 0;
            for (int i = 0; i < plan.size(); i++) packed += m.loss(plan.get(i));
            assertTrue(plan.get(0).batch() < ex.size(), "examples should be packed several to a row");
            assertEquals(alone, packed, 1e-4 * alone);
        }
        try (Trainer t = new Trainer(w, opts().withLr(1e-2f).withWarmup(5))) {
            t.train(new SftPlan(ex, 64, 64, 80, 1), null, null, null, null);
            assertTrue(t.evaluateLoss(plan) < 0.05, "completion loss " + t.evaluateLoss(plan));
        }
    }

    @Test
    void loraChangesOnlyTheAdapterAndMergesExactly() {
        LlamaWeights w = new LlamaWeights(TINY).initRandom(11);
        // a frozen random head with std 0.02 caps the logits near zero; widen it so the adapter can fit
        for (int i = 0; i < w.output.length; i++) w.output[i] *= 25f;
        LlamaWeights before = Params.copy(w);
        List<SftPlan.Example> ex = examples(8, 9);
        SftPlan plan = new SftPlan(ex, 64, 64, 60, 1);
        LoraConfig lc = new LoraConfig(4, 8f, 0.1f, LoraConfig.parseTargets("q,k,v,o,gate,up,down"));
        try (Trainer t = new Trainer(w, opts().withLr(2e-2f).withLora(lc))) {
            double l0 = t.evaluateLoss(new SftPlan(ex, 64, 64, 1, 1));
            t.train(plan, null, null, null, null);
            double l1 = t.evaluateLoss(new SftPlan(ex, 64, 64, 1, 1));
            assertTrue(l1 < l0 * 0.7, "LoRA should lower the loss: " + l0 + " -> " + l1);
            List<Params.Param> a = Params.of(w, w), b = Params.of(before, before);
            for (int i = 0; i < a.size(); i++) assertArrayEquals(b.get(i).value(), a.get(i).value(), a.get(i).name() + " changed");
            float maxB = 0;
            for (float[][] bs : t.adapter().b) if (bs != null) for (float[] m : bs) for (float x : m) maxB = Math.max(maxB, Math.abs(x));
            assertTrue(maxB > 1e-3, "adapter B matrices did not move");
            // merged weights give the same loss as base + adapter
            LlamaWeights merged = t.adapter().mergeInto(w);
            try (Workers wk = new Workers(2)) {
                TrainingModel withAdapter = new TrainingModel(w, false, t.adapter(), wk);
                TrainingModel plain = new TrainingModel(merged, false, null, wk);
                TokenBatch tb = new SftPlan(ex, 64, 64, 1, 1).get(0);
                assertEquals(withAdapter.loss(tb), plain.loss(tb), 1e-4 * withAdapter.loss(tb));
                assertNotEquals(new TrainingModel(w, false, null, wk).loss(tb), plain.loss(tb), 1e-3);
            }
        }
    }

    @Test
    void sameSeedSameThreadsGivesBitwiseIdenticalWeightsAndResumeMatches(@TempDir Path dir) {
        int[] s = stream(6 * 33 + 1, 4);
        TrainOptions o = opts().withAccumSteps(2).withWeightDecay(0.1f);
        LlamaWeights a = new LlamaWeights(TINY).initRandom(3);
        try (Trainer t = new Trainer(a, o)) { t.train(new PretrainPlan(s, 2, 32, 4, 1), null, null, null, null); }
        LlamaWeights b = new LlamaWeights(TINY).initRandom(3);
        try (Trainer t = new Trainer(b, o)) { t.train(new PretrainPlan(s, 2, 32, 4, 1), null, null, null, null); }
        assertWeightsEqual(a, b);

        // interrupted after step 3, resumed by a new trainer (fresh weights) from the state directory
        LlamaWeights c = new LlamaWeights(TINY).initRandom(3);
        try (Trainer t = new Trainer(c, o)) {
            RuntimeException kill = assertThrows(RuntimeException.class, () -> t.train(new PretrainPlan(s, 2, 32, 4, 1), null, null, dir,
                    new Trainer.Listener() {
                        @Override public void onStep(Trainer.Step st) { if (st.step() == 4) throw new RuntimeException("killed"); }
                    }));
            assertEquals("killed", kill.getMessage());
        }
        LlamaWeights d = new LlamaWeights(TINY).initRandom(3);
        try (Trainer t = new Trainer(d, o)) {
            Trainer.Result r = t.train(new PretrainPlan(s, 2, 32, 4, 1), null, null, dir, null);
            assertTrue(r.resumed());
            assertEquals(6, r.steps());
        }
        assertWeightsEqual(a, d);
    }

    @Test
    void keepsBestByMetricAndStopsEarly(@TempDir Path dir) {
        int[] s = stream(4 * 33 + 1, 6);
        LlamaWeights w = new LlamaWeights(TINY).initRandom(5);
        List<Long> seen = new ArrayList<>();
        // a metric that peaks at step 4 then falls: training must stop after `patience` evals and restore step 4
        Trainer.Metric metric = (model, step) -> { seen.add(step); return -Math.abs(step - 4); };
        LlamaWeights[] atBest = new LlamaWeights[1];
        Trainer.Listener l = new Trainer.Listener() {
            @Override public void onEvaluation(Trainer.Evaluation e) { if (e.step() == 4) atBest[0] = Params.copy(w); }
        };
        try (Trainer t = new Trainer(w, opts().withEvalEvery(2).withPatience(2))) {
            Trainer.Result r = t.train(new PretrainPlan(s, 2, 32, 10, 1), new PretrainPlan(s, 2, 32, 1, 1), metric, dir, l);
            assertTrue(r.stoppedEarly());
            assertEquals(List.of(2L, 4L, 6L, 8L), seen);
            assertEquals(4, r.best().step());
            assertFalse(Double.isNaN(r.best().validationLoss()));
        }
        assertWeightsEqual(atBest[0], w);
    }

    @Test
    void gradientAccumulationMatchesOneLargeBatch() {
        int[] s = stream(4 * 33 + 1, 8);
        LlamaWeights a = new LlamaWeights(TINY).initRandom(9), b = Params.copy(a);
        try (Trainer t = new Trainer(a, opts().withAccumSteps(1))) { t.train(new PretrainPlan(s, 4, 32, 1, 2), null, null, null, null); }
        // the same 4 rows as two micro-batches of 2: same windows in the same order
        PretrainPlan big = new PretrainPlan(s, 4, 32, 1, 2);
        TokenBatch whole = big.get(0);
        BatchPlan halves = new BatchPlan() {
            public int size() { return 2; }
            public TokenBatch get(int i) {
                int n = 2 * 32, o = i * n;
                return new TokenBatch(2, 32, java.util.Arrays.copyOfRange(whole.tokens(), o, o + n), java.util.Arrays.copyOfRange(whole.targets(), o, o + n),
                        java.util.Arrays.copyOfRange(whole.positions(), o, o + n), java.util.Arrays.copyOfRange(whole.segments(), o, o + n));
            }
        };
        try (Trainer t = new Trainer(b, opts().withAccumSteps(2))) { t.train(halves, null, null, null, null); }
        List<Params.Param> pa = Params.of(a, a), pb = Params.of(b, b);
        for (int i = 0; i < pa.size(); i++) {
            for (int j = 0; j < pa.get(i).value().length; j++) {
                assertEquals(pa.get(i).value()[j], pb.get(i).value()[j], 1e-5f, pa.get(i).name());
            }
        }
    }

    @Test
    void scheduleWarmsUpThenDecaysToTheFinalRatio() {
        LrSchedule s = new LrSchedule(1f, 4, 13, 0.1f);
        assertEquals(0.25f, s.at(0), 1e-6);
        assertEquals(1f, s.at(3), 1e-6);
        assertEquals(1f, s.at(4), 1e-6);
        assertEquals(0.55f, s.at(8), 1e-6); // cosine midpoint: (1 + 0.1) / 2
        assertEquals(0.1f, s.at(12), 1e-6);
    }

    static void assertWeightsEqual(LlamaWeights x, LlamaWeights y) {
        List<Params.Param> a = Params.of(x, x), b = Params.of(y, y);
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i).value(), b.get(i).value(), a.get(i).name() + " differs");
    }
}
