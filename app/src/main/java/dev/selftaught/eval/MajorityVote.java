package dev.selftaught.eval;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Majority voting over k sampled judgments (spec §4.5; the tie rule is ours, since the method
 * does not state one):
 * <ul>
 *   <li>samples without a verdict ({@link Verdict#NONE}) do not vote;</li>
 *   <li>A, B and TIE votes are counted; the verdict with strictly the most votes wins;</li>
 *   <li>equal top counts (e.g. 3 A vs 3 B), or no vote at all, give {@link Verdict#NONE}, which
 *       scores 0.5 like an unparsed answer — the judge did not decide.</li>
 * </ul>
 * With one sample the result is that sample's verdict.
 */
public final class MajorityVote {

    private MajorityVote() {}

    /** The outcome and the vote counts (all four verdicts present as keys). */
    public record Result(Verdict verdict, Map<Verdict, Integer> counts) {
        public Result {
            counts = Map.copyOf(counts);
        }
    }

    public static Result of(List<Verdict> samples) {
        Map<Verdict, Integer> counts = new EnumMap<>(Verdict.class);
        for (Verdict v : Verdict.values()) counts.put(v, 0);
        for (Verdict v : samples) counts.merge(v, 1, Integer::sum);
        Verdict best = Verdict.NONE;
        int bestCount = 0;
        boolean tied = false;
        for (Verdict v : List.of(Verdict.A, Verdict.B, Verdict.TIE)) {
            int c = counts.get(v);
            if (c > bestCount) {
                best = v;
                bestCount = c;
                tied = false;
            } else if (c == bestCount && c > 0) {
                tied = true;
            }
        }
        return new Result(tied || bestCount == 0 ? Verdict.NONE : best, counts);
    }
}
