package dev.selftaught.microworld;

import java.util.List;
import java.util.SplittableRandom;

/** Small helpers over {@link SplittableRandom}, whose sequence is fixed for a given seed on every JDK. */
final class Rnd {
    private Rnd() {}

    /** Uniform in [lo, hi] inclusive. */
    static int between(SplittableRandom r, int lo, int hi) { return lo + r.nextInt(hi - lo + 1); }

    static <T> T pick(SplittableRandom r, List<T> xs) { return xs.get(r.nextInt(xs.size())); }

    /** A non-zero offset in [-max, -1] ∪ [1, max]. */
    static int offset(SplittableRandom r, int max) {
        int d = between(r, 1, max);
        return r.nextBoolean() ? d : -d;
    }

    /** A non-negative number near {@code x} but different from it (a plausible wrong answer). */
    static int wrongNumber(SplittableRandom r, int x) {
        for (int i = 0; i < 100; i++) {
            int y = x + offset(r, 9);
            if (y >= 0 && y != x) return y;
        }
        return x + 1;
    }

    /** Another element of {@code xs}, different from {@code not}. */
    static <T> T pickOther(SplittableRandom r, List<T> xs, T not) {
        for (int i = 0; i < 100; i++) {
            T x = pick(r, xs);
            if (!x.equals(not)) return x;
        }
        throw new IllegalStateException("no alternative to " + not);
    }
}
