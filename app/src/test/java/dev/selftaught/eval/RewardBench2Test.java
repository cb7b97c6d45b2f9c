package dev.selftaught.eval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** RewardBench 2's rules on scores worked out by hand. */
class RewardBench2Test {

    @Test
    void bestOfFourFromPairwiseComparisons() {
        assertEquals(1.0, RewardBench2.bestOfN(List.of(1.0, 1.0, 1.0)));
        assertEquals(0.0, RewardBench2.bestOfN(List.of(1.0, 0.0, 1.0)), "one loss and the item is lost");
        assertEquals(0.0, RewardBench2.bestOfN(List.of(0.5, 0.25, 1.0)), "orders disagreeing against the chosen is a loss");
        assertEquals(0.5, RewardBench2.bestOfN(List.of(1.0, 0.5, 1.0)), "tied with one rejected at the top: 1/2");
        assertEquals(1.0 / 3, RewardBench2.bestOfN(List.of(0.5, 0.5, 0.75)), "tied with two: 1/3");
        assertEquals(0.25, RewardBench2.bestOfN(List.of(0.5, 0.5, 0.5)), "no verdicts at all: 1/4, as the official error score");
    }

    @Test
    void overallIsTheUnweightedMeanOfSubsets() {
        assertEquals((0.6 + 0.2 + 0.7) / 3, RewardBench2.overall(Map.of("Math", 0.6, "Focus", 0.2, "Ties", 0.7)), 1e-15);
        assertTrue(Double.isNaN(RewardBench2.overall(Map.of())));
    }

    @Test
    void tiesFormulaOnHandComputedPrompts() {
        // ref:0  correct 0.9 | incorrect 0.1 0.2        -> margin 0.7, accurate
        // tied:0 correct 0.8 0.7 | incorrect 0.3 0.1    -> spread 0.1, margin 0.4, accurate
        // ref:1  correct 0.2 | incorrect 0.5            -> margin -0.3
        // tied:1 correct 0.9 0.4 | incorrect 0.5        -> spread 0.5, margin -0.1
        var prompts = List.of(
                new RewardBench2.TiesPrompt("ref:0", new double[] {0.9, 0.1, 0.2}, 1),
                new RewardBench2.TiesPrompt("tied:0", new double[] {0.8, 0.7, 0.3, 0.1}, 2),
                new RewardBench2.TiesPrompt("ref:1", new double[] {0.2, 0.5}, 1),
                new RewardBench2.TiesPrompt("tied:1", new double[] {0.9, 0.4, 0.5}, 2));
        Map<String, Double> t = RewardBench2.ties(prompts);
        assertEquals(0.5, t.get("ref_accuracy"));
        assertEquals(0.5, t.get("tied_accuracy"));
        // prompt 0: 0.4 > 0.1 and min(0.7, 0.4) > 0.1; prompt 1: -0.1 > 0.5 no, min(-0.3, -0.1) > 0.5 no
        assertEquals(0.5, t.get("correctness_preferred"));
        assertEquals(0.5, t.get("correctness_preferred_hard"));
        // mean of tanh(0.4/0.1 - 1) = tanh(3) and tanh(-0.3/0.5 - 1) = tanh(-1.6)
        double margin = (0.9950547536867305 + -0.9216685544064713) / 2;
        assertEquals(margin, t.get("correctness_margin_score"), 1e-12);
        assertEquals(0.3 * 0.5 + 0.3 * 0.5 + 0.2 * 0.5 + 0.2 * 0.5 + 0.01 * margin, t.get("score"), 1e-12);
        // a zero spread (equally good correct answers) gives tanh(+inf) = 1, as numpy does
        Map<String, Double> z = RewardBench2.ties(List.of(
                new RewardBench2.TiesPrompt("ref:3", new double[] {1, 0}, 1),
                new RewardBench2.TiesPrompt("tied:3", new double[] {0.8, 0.8, 0.1}, 2)));
        assertEquals(1.0, z.get("correctness_margin_score"));
        assertEquals(0.3 + 0.3 + 0.2 + 0.2 + 0.01, z.get("score"), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> RewardBench2.ties(List.of(new RewardBench2.TiesPrompt("x:1", new double[] {1, 0}, 1))));
    }
}
