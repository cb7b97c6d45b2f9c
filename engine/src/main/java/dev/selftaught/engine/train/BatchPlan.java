package dev.selftaught.engine.train;

/**
 * The whole run's data as an indexed list of micro-batches. Micro-batch {@code i} is a pure
 * function of {@code i} (and the plan's seed), so the data position of a run is just the index
 * of the next micro-batch and a resumed run sees exactly the same batches.
 */
public interface BatchPlan {
    int size();

    TokenBatch get(int index);

    /** Total tokens (including padding) across the plan, for throughput and ETA. */
    default long tokens() {
        long t = 0;
        for (int i = 0; i < size(); i++) t += (long) get(i).batch() * get(i).seqLen();
        return t;
    }
}
