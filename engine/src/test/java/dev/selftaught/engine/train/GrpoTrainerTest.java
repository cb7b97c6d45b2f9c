package dev.selftaught.engine.train;

import dev.selftaught.engine.generate.GenerationResult;
import dev.selftaught.engine.generate.SamplingConfig;
import dev.selftaught.engine.model.LlamaWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class GrpoTrainerTest {

    /** Reward: share of completion tokens below 12 (about one half for a random model). */
    static final GrpoTrainer.Reward LOW_TOKENS = (task, samples) -> {
        double[][] r = new double[samples.size()][];
        for (int p = 0; p < samples.size(); p++) {
            r[p] = new double[samples.get(p).size()];
            for (int k = 0; k < r[p].length; k++) {
                int[] t = samples.get(p).get(k).tokens();
                int low = 0;
                for (int x : t) if (x < 12) low++;
                r[p][k] = t.length == 0 ? 0 : (double) low / t.length;
            }
        }
        return r;
    };

    static List<GrpoTrainer.Task> tasks(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<GrpoTrainer.Task> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<int[]> prompts = new ArrayList<>();
            for (int p = 0; p < 2; p++) {
                int[] t = new int[3 + r.nextInt(4)];
                for (int j = 0; j < t.length; j++) t[j] = r.nextInt(24);
                prompts.add(t);
            }
            out.add(new GrpoTrainer.Task(prompts));
        }
        return out;
    }

    static GrpoTrainer.Options opts(int epochs, int updates, float lr) {
        TrainOptions t = TrainOptions.defaults().withLr(lr).withWarmup(1).withThreads(2).withCheckpointEvery(1).withSeed(7);
        return new GrpoTrainer.Options(6, 2, epochs, updates, new GrpoLoss(0.2, 0.02), SamplingConfig.temperature(1f), 5,
                256, 64, 16, t);
    }

    @Test
    void rewardRisesOnPolicyAndTheKlGrows() {
        LlamaWeights w = new LlamaWeights(TrainerTest.TINY).initRandom(3);
        List<GrpoTrainer.Step> steps = new ArrayList<>();
        try (GrpoTrainer t = new GrpoTrainer(w, null, -1, null, opts(8, 2, 1e-2f))) {
            GrpoTrainer.Result r = t.train(tasks(6, 1), LOW_TOKENS, null, null, new GrpoTrainer.Listener() {
                @Override public void onStep(GrpoTrainer.Step s) { steps.add(s); }
            });
            assertEquals(24, r.steps());
        }
        double first = steps.subList(0, 4).stream().mapToDouble(GrpoTrainer.Step::rewardMean).average().orElseThrow();
        double last = steps.subList(20, 24).stream().mapToDouble(GrpoTrainer.Step::rewardMean).average().orElseThrow();
        assertTrue(first < 0.75, "a random model should not already prefer low tokens: " + first);
        assertTrue(last > first + 0.2, "reward should rise: first " + first + ", last " + last);
        assertEquals(0, steps.getFirst().kl(), 1e-9, "the first step samples from the reference itself");
        assertTrue(steps.getLast().kl() > 1e-4, "the policy moved away from the reference: KL " + steps.getLast().kl());
        assertTrue(steps.stream().anyMatch(s -> s.clippedFraction() > 0), "the second update of a batch clips some ratios");
        assertTrue(steps.stream().allMatch(s -> s.sampledTokens() > 0 && s.trainedTokens() > s.sampledTokens()));
    }

    @Test
    void aKilledRunResumesWithoutRedoingStepsAndEndsWhereAnUninterruptedOneDoes(@TempDir Path dir) {
        List<GrpoTrainer.Task> data = tasks(4, 2);
        LlamaWeights straight = new LlamaWeights(TrainerTest.TINY).initRandom(5);
        List<Double> straightRewards = new ArrayList<>();
        try (GrpoTrainer t = new GrpoTrainer(straight, null, -1, null, opts(2, 1, 5e-3f))) {
            t.train(data, LOW_TOKENS, null, dir.resolve("a"), new GrpoTrainer.Listener() {
                @Override public void onStep(GrpoTrainer.Step s) { straightRewards.add(s.rewardMean()); }
            });
        }
        LlamaWeights killed = new LlamaWeights(TrainerTest.TINY).initRandom(5);
        try (GrpoTrainer t = new GrpoTrainer(killed, null, -1, null, opts(2, 1, 5e-3f))) {
            assertThrows(IllegalStateException.class, () -> t.train(data, LOW_TOKENS, null, dir.resolve("b"), new GrpoTrainer.Listener() {
                @Override public void onStep(GrpoTrainer.Step s) { if (s.step() == 2) throw new IllegalStateException("killed"); }
            }));
        }
        LlamaWeights resumed = new LlamaWeights(TrainerTest.TINY).initRandom(5);
        List<Long> seen = new ArrayList<>();
        List<Double> resumedRewards = new ArrayList<>();
        long[] from = {-1};
        try (GrpoTrainer t = new GrpoTrainer(resumed, null, -1, null, opts(2, 1, 5e-3f))) {
            GrpoTrainer.Result r = t.train(data, LOW_TOKENS, null, dir.resolve("b"), new GrpoTrainer.Listener() {
                @Override public void onStart(long at, long total) { from[0] = at; }
                @Override public void onStep(GrpoTrainer.Step s) { seen.add(s.step()); resumedRewards.add(s.rewardMean()); }
            });
            assertTrue(r.resumed());
        }
        assertEquals(2, from[0]);
        assertEquals(List.of(3L, 4L), seen, "only the steps the killed run did not finish");
        assertEquals(straightRewards.subList(2, 4), resumedRewards, "the resumed run samples what the uninterrupted one did");
        List<Params.Param> a = Params.of(straight, straight), b = Params.of(resumed, resumed);
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i).value(), b.get(i).value(), a.get(i).name());
        LlamaWeights untouched = new LlamaWeights(TrainerTest.TINY).initRandom(5);
        assertFalse(java.util.Arrays.equals(untouched.wq[0], straight.wq[0]), "training changed the weights");
    }

    @Test
    void optionsRefuseDegenerateGroupsAndLora() {
        assertThrows(IllegalArgumentException.class, () -> new GrpoTrainer.Options(1, 1, 1, 1, new GrpoLoss(0.2, 0), SamplingConfig.GREEDY, 4, 64, 64, 4, TrainOptions.defaults()));
        assertThrows(IllegalArgumentException.class, () -> new GrpoLoss(0, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new GrpoTrainer.Options(4, 1, 1, 1, new GrpoLoss(0.2, 0), SamplingConfig.GREEDY, 4, 64, 64, 4,
                TrainOptions.defaults().withLora(new LoraConfig(2, 4f, 0f, java.util.Set.of(LoraConfig.Target.Q)))));
    }
}
