package dev.selftaught.engine.train;

/**
 * A training objective that is a sum of per-token functions of the target token's log-probability,
 * {@code L = Σ_n f_n(log p_n)}, given by each term's derivative. Called from worker threads during
 * {@link TrainingModel#forwardBackward(TokenBatch, TokenObjective, long)}: it must be a pure
 * function of its arguments (plus data fixed before the call).
 */
@FunctionalInterface
public interface TokenObjective {
    /** {@code f_n'(logProb)}: the derivative of position n's term at its current log-probability. */
    double gradient(int position, double logProb);
}
