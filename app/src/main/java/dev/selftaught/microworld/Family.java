package dev.selftaught.microworld;

import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A kind of micro-world task. A family both generates problems and reads its own instructions
 * back, which is what lets the {@link Checker} decide correctness from the text alone.
 */
public interface Family {

    /** Short stable name, used in ids and statistics. */
    String name();

    /** The topic a categoriser should assign to this family's instructions. */
    Topic topic();

    /** A random problem of this family. */
    Problem sample(SplittableRandom rnd);

    /** Reads an instruction written by {@link #sample}; empty when it is not of this family. */
    Optional<Problem> parse(String instruction);
}
