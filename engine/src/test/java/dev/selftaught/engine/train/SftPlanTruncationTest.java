package dev.selftaught.engine.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Over-long examples are dropped or lose their completion's end, counted; the prompt is never cut. */
class SftPlanTruncationTest {

    static int[] range(int from, int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = from + i;
        return a;
    }

    /** Every example's tokens as packed in the plan's batches: segment id → tokens (inputs). */
    static List<List<Integer>> segments(SftPlan plan) {
        List<List<Integer>> out = new ArrayList<>();
        for (int b = 0; b < plan.size(); b++) {
            TokenBatch tb = plan.get(b);
            int last = 0;
            for (int i = 0; i < tb.tokens().length; i++) {
                int seg = tb.segments()[i];
                if (seg <= 0) continue;
                if (seg != last) { out.add(new ArrayList<>()); last = seg; }
                out.getLast().add(tb.tokens()[i]);
            }
        }
        return out;
    }

    // short: 3 + 3 tokens (5 inputs); long: prompt 100..105, completion 200..209 (15 inputs)
    static final SftPlan.Example SHORT = new SftPlan.Example(range(1, 3), range(10, 3));
    static final SftPlan.Example LONG = new SftPlan.Example(range(100, 6), range(200, 10));

    @Test
    void dropLeavesTheLongExampleOutAndCountsIt() {
        SftPlan plan = new SftPlan(List.of(SHORT, LONG), 8, 64, 1, 1, SftPlan.Truncation.DROP);
        assertEquals(1, plan.dropped());
        assertEquals(0, plan.cut());
        assertEquals(1, plan.truncated());
        List<List<Integer>> segs = segments(plan);
        assertEquals(1, segs.size(), "only the short example is trained on");
        assertEquals(List.of(1, 2, 3, 10, 11), segs.getFirst());
    }

    @Test
    void cutEndKeepsTheWholePromptAndTheCompletionStart() {
        SftPlan plan = new SftPlan(List.of(SHORT, LONG), 8, 64, 1, 1, SftPlan.Truncation.CUT_END);
        assertEquals(0, plan.dropped());
        assertEquals(1, plan.cut());
        List<List<Integer>> segs = segments(plan);
        assertTrue(segs.contains(List.of(100, 101, 102, 103, 104, 105, 200, 201)),
                "prompt 100..105 whole, completion cut after 201: " + segs);
        // targets of the cut example: ignored over the prompt, then 200, 201, 202
        for (int b = 0; b < plan.size(); b++) {
            TokenBatch tb = plan.get(b);
            for (int i = 0; i < tb.tokens().length; i++) {
                if (tb.tokens()[i] == 105) assertEquals(200, tb.targets()[i]);
                if (tb.tokens()[i] == 201) assertEquals(202, tb.targets()[i]);
                if (tb.tokens()[i] >= 100 && tb.tokens()[i] < 105) assertEquals(TokenBatch.IGNORE, tb.targets()[i]);
            }
        }
    }

    @Test
    void aPromptLongerThanTheRowIsDroppedEvenWhenCuttingTheEnd() {
        SftPlan.Example longPrompt = new SftPlan.Example(range(100, 12), range(200, 2));
        SftPlan plan = new SftPlan(List.of(SHORT, longPrompt), 8, 64, 1, 1, SftPlan.Truncation.CUT_END);
        assertEquals(1, plan.dropped(), "no completion token would be left to learn");
        assertEquals(0, plan.cut());
        for (List<Integer> seg : segments(plan)) assertFalse(seg.contains(100), "the question is never cut: " + seg);
    }

    @Test
    void countsAreOncePerExampleNotPerEpochAndFittingExamplesAreUntouched() {
        SftPlan plan = new SftPlan(List.of(SHORT, LONG), 8, 64, 3, 1, SftPlan.Truncation.DROP);
        assertEquals(1, plan.dropped());
        SftPlan fits = new SftPlan(List.of(SHORT, LONG), 64, 64, 1, 1, SftPlan.Truncation.DROP);
        assertEquals(0, fits.truncated());
        assertEquals(2, segments(fits).size());
    }
}
