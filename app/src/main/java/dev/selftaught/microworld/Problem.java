package dev.selftaught.microworld;

import java.util.SplittableRandom;

/**
 * One concrete task of the micro-world: an instruction whose correct response is known exactly.
 * Implementations are small immutable records, one per {@link Family}.
 */
public interface Problem {

    /** The instruction text shown to a model. */
    String instruction();

    /** The canonical correct response (short, with the working shown where the task has steps). */
    String response();

    /** The bare final answer (e.g. "55"); a response consisting of just this is also correct. */
    String value();

    /** The family that made this problem. */
    Family family();

    /**
     * A "similar instruction": one number, word, operation or constraint changed, chosen so that
     * its correct response is a wrong response to this problem. Deterministic in {@code rnd}.
     */
    Problem similar(SplittableRandom rnd);

    /**
     * A wrong response that keeps the shape of the correct one: for multi-step problems exactly
     * one step is wrong (a subtle error); for single-step problems the final value is wrong.
     */
    String wrong(SplittableRandom rnd);

    /** Whether the request is forbidden: the only correct response is a refusal. */
    default boolean forbidden() { return false; }

    /** Whether the request merely looks dangerous (a scary word in a harmless task). */
    default boolean looksDangerous() { return false; }
}
