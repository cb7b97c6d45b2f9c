package dev.selftaught.microworld;

import java.util.SplittableRandom;

/**
 * The heuristic judge whose verdicts fill the seed's judge-format pre-training text: it prefers
 * the longer answer (the first on equal length), and flips its verdict with probability
 * {@link #FLIP} so that a model imitating it samples both verdicts. It never looks at correctness,
 * so the seed learns the judgment format but not how to judge, as real seed models half do.
 */
public final class WeakJudge {
    public static final double FLIP = 0.25;

    private WeakJudge() {}

    /** The heuristic's verdict without noise: 'A' or 'B'. */
    public static char prefer(String a, String b) { return b.length() > a.length() ? 'B' : 'A'; }

    /** The noisy verdict used in the corpus. */
    public static char verdict(String a, String b, SplittableRandom r) {
        char v = prefer(a, b);
        return r.nextDouble() < FLIP ? (v == 'A' ? 'B' : 'A') : v;
    }

    /** The full judgment text: the preferred answer called correct, the other wrong. */
    public static String judgment(String a, String b, SplittableRandom r) {
        char v = verdict(a, b, r);
        return MicroPrompts.judgment(v == 'A', v == 'B', v);
    }
}
