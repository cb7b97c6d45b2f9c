package dev.selftaught.engine.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The sampler's edges, each against a value computed here independently: rows at an offset
 * (a batch's second row), ties in the visiting order, the exact draw for a given generator
 * state, thresholds met with equality, and every way a row can be refused.
 */
class SamplerEdgeTest {

    static int[] kept(Sampler s) { return SamplerTest.kept(s); }

    @Test
    void theRowAtTheOffsetIsTheOneSampled() {
        // Row 0 prefers token 0, row 1 token 3 (greedy, and with a sharp temperature).
        float[] rows = {9f, 0f, 0f, 0f, 0f, 0f, 0f, 9f};
        Sampler s = new Sampler(4);
        assertEquals(0, s.sample(rows, 0, SamplingConfig.GREEDY, null));
        assertEquals(3, s.sample(rows, 4, SamplingConfig.GREEDY, null));
        for (int i = 0; i < 20; i++) assertEquals(3, s.sample(rows, 4, SamplingConfig.temperature(0.05f), new SplittableRandom(i)));
        assertEquals(3, Sampler.argmax(rows, 4, 4));
        // A NaN in another row is not this row's problem; in this row it is.
        float[] nan = {0f, Float.NaN, 0f, 0f, 1f, 0f, 0f, 0f};
        assertEquals(0, s.sample(nan, 4, SamplingConfig.GREEDY, null));
        var e = assertThrows(SamplingException.class, () -> s.sample(nan, 0, SamplingConfig.GREEDY, null));
        assertTrue(e.getMessage().contains("for token 1"), e.getMessage());
    }

    @Test
    void argmaxTakesTheFirstOfEqualMaxima() {
        assertEquals(1, Sampler.argmax(new float[] {1f, 5f, 5f, 2f}, 0, 4));
        assertEquals(0, Sampler.argmax(new float[] {5f, 5f}, 0, 2));
        assertEquals(2, Sampler.argmax(new float[] {-3f, -2f, -1f}, 0, 3));
        assertEquals(0, Sampler.argmax(new float[] {-1f}, 0, 1));
    }

    @Test
    void equalProbabilitiesAreVisitedByIdSoTopKKeepsTheLowestIds() {
        Sampler s = new Sampler(5);
        float[] flat = {1f, 2f, 2f, 2f, 1f};
        s.filter(flat, 0, new SamplingConfig(1f, 2, 1f, 0f));
        assertArrayEquals(new int[] {1, 2}, kept(s));
        s.filter(flat, 0, new SamplingConfig(1f, 4, 1f, 0f));
        assertArrayEquals(new int[] {1, 2, 3, 0}, kept(s));
    }

    @Test
    void withoutFiltersEveryTokenIsACandidateInIdOrder() {
        Sampler s = new Sampler(4);
        float[] l = SamplerTest.logitsOf(0.1, 0.2, 0.3, 0.4);
        s.filter(l, 0, SamplingConfig.temperature(1f));
        assertArrayEquals(new int[] {0, 1, 2, 3}, kept(s));
        for (int i = 0; i < 4; i++) assertEquals(0.1 * (i + 1), s.probability(i), 1e-6);
    }

    @Test
    void theDrawFollowsTheCumulativeMassInVisitingOrder() {
        // Recompute the draw: u = nextDouble() of a copy of the generator, times the kept mass.
        double[] p = {0.1, 0.2, 0.3, 0.4};
        float[] l = SamplerTest.logitsOf(p);
        Sampler s = new Sampler(4);
        for (int seed = 0; seed < 200; seed++) {
            double u = new SplittableRandom(seed).nextDouble();
            int expected = u < 0.1 ? 0 : u < 0.3 ? 1 : u < 0.6 ? 2 : 3;
            if (Math.abs(u - 0.1) < 1e-5 || Math.abs(u - 0.3) < 1e-5 || Math.abs(u - 0.6) < 1e-5 || Math.abs(u * 0.7 - 0.4) < 1e-5) continue;
            assertEquals(expected, s.sample(l, 0, SamplingConfig.temperature(1f), new SplittableRandom(seed)), "seed " + seed);
            // With top-k 2 the candidates are 3 (0.4) then 2 (0.3): u scaled to their mass 0.7.
            int k2 = u * 0.7 < 0.4 ? 3 : 2;
            assertEquals(k2, s.sample(l, 0, new SamplingConfig(1f, 2, 1f, 0f), new SplittableRandom(seed)), "seed " + seed);
        }
    }

    @Test
    void topPStopsAtTheFirstTokenThatReachesTheMass() {
        Sampler s = new Sampler(4);
        float[] l = SamplerTest.logitsOf(0.5, 0.25, 0.125, 0.125);
        s.filter(l, 0, new SamplingConfig(1f, 0, 0.4f, 0f));
        assertArrayEquals(new int[] {0}, kept(s));
        s.filter(l, 0, new SamplingConfig(1f, 0, 0.7f, 0f));
        assertArrayEquals(new int[] {0, 1}, kept(s));
        s.filter(l, 0, new SamplingConfig(1f, 0, 0.8f, 0f));
        assertArrayEquals(new int[] {0, 1, 2}, kept(s));
        // A top token whose probability equals p exactly is enough on its own ("reaches").
        s.filter(l, 0, SamplingConfig.temperature(1f));
        float p0 = s.probability(0);
        s.filter(l, 0, new SamplingConfig(1f, 0, p0, 0f));
        assertArrayEquals(new int[] {0}, kept(s));
        // After top-k 2 (mass 0.75) top-p is measured against the kept mass: 0.6 needs 0.45, 0.7 needs 0.525.
        s.filter(l, 0, new SamplingConfig(1f, 2, 0.6f, 0f));
        assertArrayEquals(new int[] {0}, kept(s));
        s.filter(l, 0, new SamplingConfig(1f, 2, 0.7f, 0f));
        assertArrayEquals(new int[] {0, 1}, kept(s));
        assertEquals(0.25 / 0.75, s.probability(1), 1e-6, "renormalised over the kept set");
    }

    @Test
    void minPKeepsTokensAgainstTheTopOne() {
        Sampler s = new Sampler(4);
        float[] l = SamplerTest.logitsOf(0.5, 0.25, 0.125, 0.125);
        s.filter(l, 0, new SamplingConfig(1f, 0, 1f, 0.4f));   // threshold 0.2
        assertArrayEquals(new int[] {0, 1}, kept(s));
        s.filter(l, 0, new SamplingConfig(1f, 0, 1f, 0.2f));   // threshold 0.1
        assertArrayEquals(new int[] {0, 1, 2, 3}, kept(s));
        s.filter(l, 0, new SamplingConfig(1f, 0, 1f, 0.6f));   // threshold 0.3
        assertArrayEquals(new int[] {0}, kept(s));
        // Min-p after top-k and top-p: relative to the top token, which they always keep.
        s.filter(l, 0, new SamplingConfig(1f, 3, 0.9f, 0.4f));
        assertArrayEquals(new int[] {0, 1}, kept(s));
        // A token as probable as the top one is kept at any min-p.
        s.filter(new float[] {1f, 1f, 0f, 0f}, 0, new SamplingConfig(1f, 0, 1f, 0.999f));
        assertArrayEquals(new int[] {0, 1}, kept(s));
    }

    @Test
    void temperatureDividesTheLogits() {
        Sampler s = new Sampler(3);
        float[] l = {0f, (float) Math.log(2), (float) Math.log(4)};
        s.filter(l, 0, SamplingConfig.temperature(2f));
        // T = 2: exp(l / 2) = 1, sqrt 2, 2.
        double z = 1 + Math.sqrt(2) + 2;
        assertEquals(1 / z, s.probability(0), 1e-6);
        assertEquals(Math.sqrt(2) / z, s.probability(1), 1e-6);
        assertEquals(2 / z, s.probability(2), 1e-6);
    }

    @Test
    void maskedTokensAreNeverCandidates() {
        float ninf = Float.NEGATIVE_INFINITY;
        Sampler s = new Sampler(4);
        float[] l = {ninf, 1f, ninf, 1f};
        for (int seed = 0; seed < 50; seed++) {
            int t = s.sample(l, 0, SamplingConfig.temperature(1f), new SplittableRandom(seed));
            assertTrue(t == 1 || t == 3, "token " + t);
        }
        assertEquals(1, s.sample(l, 0, SamplingConfig.GREEDY, null));
        assertThrows(SamplingException.class, () -> s.sample(new float[] {ninf, ninf, ninf, ninf}, 0, SamplingConfig.temperature(1f),
                new SplittableRandom(1)));
    }

    @Test
    void samplingConfigBounds() {
        assertTrue(SamplingConfig.GREEDY.greedy());
        assertTrue(new SamplingConfig(0f, 5, 0.5f, 0.5f).greedy());
        assertTrue(!SamplingConfig.temperature(1e-30f).greedy());
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(Float.NaN, 0, 1f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1f, -1, 1f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1f, 0, 1.01f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1f, 0, 1f, -0.01f));
        assertEquals(1f, new SamplingConfig(1f, 0, 1f, 0f).topP());
        assertEquals(0f, new SamplingConfig(1f, 0, 1f, 0f).minP());
        assertEquals(0f, new SamplingConfig(0f, 0, 1f, 0f).temperature());
    }

    @Test
    void logitRulesBoundsAndTheClamp() {
        assertThrows(IllegalArgumentException.class, () -> new LogitRules(0.009f, 0f, 0f, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new LogitRules(100.1f, 0f, 0f, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new LogitRules(1f, -2.01f, 0f, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new LogitRules(1f, 0f, 2.01f, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new LogitRules(1f, 0f, 0f, -1, null));
        // The bounds are allowed.
        new LogitRules(0.01f, -2f, 2f, 0, null);
        new LogitRules(100f, 2f, -2f, 5, null);
        assertTrue(LogitRules.NONE.none());
        assertTrue(!new LogitRules(1.5f, 0f, 0f, 0, null).none());
        assertTrue(!new LogitRules(1f, 0.5f, 0f, 0, null).none());
        assertTrue(!new LogitRules(1f, 0f, -0.5f, 0, null).none());
        assertTrue(!new LogitRules(1f, 0f, 0f, 1, null).none());
        assertTrue(!new LogitRules(1f, 0f, 0f, 0, (g, n, l, o, v) -> { }).none());
        assertEquals(Float.MAX_VALUE, LogitRules.clamp(Float.POSITIVE_INFINITY));
        assertEquals(-Float.MAX_VALUE, LogitRules.clamp(Float.NEGATIVE_INFINITY));
        assertEquals(3.5f, LogitRules.clamp(3.5f));
    }

    @Test
    void requestsRefuseWhatCannotBeGenerated() {
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.greedy(new int[0], 5, null));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.greedy(null, 5, null));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.greedy(new int[] {1}, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new GenerationRequest(new int[] {1}, SamplingConfig.GREEDY, 5, 0, null,
                java.util.List.of("ok", ""), null));
        var r = new GenerationRequest(new int[] {1, 2}, SamplingConfig.GREEDY, 5, 0, null, null, null, null);
        assertEquals(0, r.stopIds().length);
        assertEquals(java.util.List.of(), r.stopStrings());
        assertEquals(LogitRules.NONE, r.rules());
        int[] prompt = {1, 2};
        var copy = GenerationRequest.greedy(prompt, 1, new int[] {3});
        prompt[0] = 9;
        assertEquals(1, copy.prompt()[0], "the request keeps its own copy");
    }
}
