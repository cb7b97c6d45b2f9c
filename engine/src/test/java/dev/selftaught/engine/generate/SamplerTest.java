package dev.selftaught.engine.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Filters and sampling on hand-made logits whose probabilities are known exactly. */
class SamplerTest {
    /** Logits log(p) for the given probabilities (softmax gives p back at temperature 1). */
    static float[] logitsOf(double... p) {
        float[] l = new float[p.length];
        for (int i = 0; i < p.length; i++) l[i] = (float) Math.log(p[i]);
        return l;
    }

    static int[] kept(Sampler s) {
        int[] out = new int[s.candidateCount()];
        for (int i = 0; i < out.length; i++) out[i] = s.candidate(i);
        return out;
    }

    // Token ids 0..5 with probabilities chosen so that the order by probability is 3, 0, 5, 1, 4, 2.
    static final double[] P = {0.25, 0.10, 0.05, 0.40, 0.08, 0.12};

    @Test
    void greedyIsArgmaxLowestIdOnTies() {
        Sampler s = new Sampler(4);
        assertEquals(2, s.sample(new float[] {1f, 2f, 3f, 3f}, 0, SamplingConfig.GREEDY, null));
    }

    @Test
    void topKKeepsTheKMostProbable() {
        Sampler s = new Sampler(6);
        s.filter(logitsOf(P), 0, new SamplingConfig(1f, 3, 1f, 0f));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {3, 0, 5}, kept(s));
        assertEquals(0.40 / 0.77, s.probability(0), 1e-5);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        Sampler s = new Sampler(6);
        // 0.40 + 0.25 = 0.65 < 0.7, adding 0.12 reaches 0.77 >= 0.7
        s.filter(logitsOf(P), 0, new SamplingConfig(1f, 0, 0.7f, 0f));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {3, 0, 5}, kept(s));
        s.filter(logitsOf(P), 0, new SamplingConfig(1f, 0, 0.6f, 0f));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {3, 0}, kept(s));
        // After top-k 4 (mass 0.87), top-p 0.8 needs 0.696: 0.40 + 0.25 + 0.12 = 0.77 reaches it.
        s.filter(logitsOf(P), 0, new SamplingConfig(1f, 4, 0.8f, 0f));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {3, 0, 5}, kept(s));
    }

    @Test
    void minPKeepsTokensAboveAFractionOfTheTop() {
        Sampler s = new Sampler(6);
        // threshold 0.25 * 0.40 = 0.10: keeps 0.40, 0.25, 0.12, 0.10
        s.filter(logitsOf(P), 0, new SamplingConfig(1f, 0, 1f, 0.25f));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {3, 0, 5, 1}, kept(s));
    }

    @Test
    void temperatureSharpensAndFlattens() {
        Sampler s = new Sampler(6);
        s.filter(logitsOf(P), 0, new SamplingConfig(0.5f, 0, 1f, 0f));
        double z = 0;
        for (double p : P) z += p * p;
        int top = -1;
        for (int i = 0; i < s.candidateCount(); i++) if (s.candidate(i) == 3) top = i;
        assertEquals(0.16 / z, s.probability(top), 1e-5, "temperature 1/2 squares the probabilities");
    }

    @Test
    void samplingFrequenciesFollowTheProbabilities() {
        Sampler s = new Sampler(6);
        SplittableRandom rng = new SplittableRandom(42);
        int n = 60_000;
        int[] counts = new int[6];
        SamplingConfig cfg = SamplingConfig.temperature(1f);
        float[] logits = logitsOf(P);
        for (int i = 0; i < n; i++) counts[s.sample(logits, 0, cfg, rng)]++;
        for (int i = 0; i < 6; i++) {
            double sd = Math.sqrt(P[i] * (1 - P[i]) / n);
            assertEquals(P[i], counts[i] / (double) n, 5 * sd, "token " + i);
        }
        // With top-k 2 only tokens 3 and 0 appear, in ratio 0.40 : 0.25.
        int[] c2 = new int[6];
        for (int i = 0; i < n; i++) c2[s.sample(logits, 0, new SamplingConfig(1f, 2, 1f, 0f), rng)]++;
        assertEquals(n, c2[3] + c2[0]);
        assertEquals(0.40 / 0.65, c2[3] / (double) n, 0.01);
    }

    @Test
    void sameSeedSameSamples() {
        Sampler s = new Sampler(6);
        float[] logits = logitsOf(P);
        SamplingConfig cfg = new SamplingConfig(0.9f, 5, 0.95f, 0.01f);
        SplittableRandom a = new SplittableRandom(7), b = new SplittableRandom(7);
        for (int i = 0; i < 200; i++) assertEquals(s.sample(logits, 0, cfg, a), s.sample(logits, 0, cfg, b));
    }

    @Test
    void invalidSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(-1f, 0, 1f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1f, 0, 0f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1f, 0, 1f, 1f));
    }
}
