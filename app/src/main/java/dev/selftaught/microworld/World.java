package dev.selftaught.microworld;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The micro-world's generator: a seeded stream of problems drawn from every family. The same
 * seed always gives the same stream (SplittableRandom's sequence is specified).
 */
public final class World {

    /** Every family, in the order the checker tries them. */
    public static final List<Family> FAMILIES = List.of(
            Arith.INSTANCE, Steps.INSTANCE, Units.SINGLE, Units.TWO_STEP, WordOps.INSTANCE, Letters.INSTANCE,
            Lists.INSTANCE, Compare.INSTANCE, Process.INSTANCE, HowTo.INSTANCE);

    /** Families whose problems make ordinary chat requests (Chat / Chat Hard pairs). */
    static final List<Family> CHAT_FAMILIES = List.of(
            Arith.INSTANCE, Units.SINGLE, WordOps.INSTANCE, Letters.INSTANCE, Lists.INSTANCE, Compare.INSTANCE);

    /** A weighted source of problems for the instruction pool and the corpus. */
    private record Source(int weight, Function<SplittableRandom, Problem> draw) {}

    private static final List<Source> MIX = List.of(
            new Source(3, Arith.INSTANCE::sample),
            new Source(3, Steps.INSTANCE::sample),
            new Source(2, Units.SINGLE::sample),
            new Source(2, Units.TWO_STEP::sample),
            new Source(3, WordOps.INSTANCE::sample),
            new Source(2, Letters.INSTANCE::sample),
            new Source(2, Lists.INSTANCE::sample),
            new Source(2, Compare.INSTANCE::sample),
            new Source(1, Process.INSTANCE::sample),
            new Source(1, WordOps.INSTANCE::sampleScary),
            new Source(1, Letters.INSTANCE::sampleScary),
            new Source(3, HowTo.INSTANCE::sample));
    private static final int TOTAL_WEIGHT = MIX.stream().mapToInt(Source::weight).sum();

    private World() {}

    /** One problem from the whole mix. */
    public static Problem sample(SplittableRandom r) {
        int k = r.nextInt(TOTAL_WEIGHT);
        for (Source s : MIX) {
            if (k < s.weight) return s.draw.apply(r);
            k -= s.weight;
        }
        throw new AssertionError();
    }

    /**
     * {@code n} distinct problems from the mix, skipping any instruction in {@code exclude}
     * (the held-out benchmark and validation instructions when generating training data).
     */
    public static List<Problem> distinct(long seed, int n, Set<String> exclude) {
        SplittableRandom r = new SplittableRandom(seed);
        Set<String> seen = new LinkedHashSet<>();
        List<Problem> out = new ArrayList<>(n);
        for (int tries = 0; out.size() < n; tries++) {
            if (tries > 200 * n + 10_000) throw new IllegalStateException("the world has too few distinct problems for n=" + n);
            Problem p = sample(r);
            if (exclude.contains(p.instruction()) || !seen.add(p.instruction())) continue;
            out.add(p);
        }
        return out;
    }
}
