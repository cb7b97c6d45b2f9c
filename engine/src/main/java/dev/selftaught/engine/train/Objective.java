package dev.selftaught.engine.train;

/**
 * What the training loop minimises, one micro-batch at a time. An optimizer step sums the
 * gradients of its micro-batches, each scaled by {@code 1 / norm} where {@code norm} is the sum of
 * {@link #weight}s of the step's micro-batches, so a step's loss is a mean over the step's units
 * (target tokens for SFT, preference pairs for DPO) however the units fall into micro-batches.
 */
public interface Objective {
    /** Number of micro-batches in the whole run (all epochs). */
    int size();

    /** Micro-batch {@code i}'s tokens (for throughput). */
    TokenBatch batch(int i);

    /** Micro-batch {@code i}'s units in its step's normaliser (SFT: target tokens; DPO: pairs). */
    double weight(int i);

    /**
     * Forward and backward of micro-batch {@code i}: adds the gradient of {@code (1 / norm) · loss_i}
     * to the model's gradient buffers and returns {@code loss_i} (the micro-batch's loss summed over its units).
     */
    double forwardBackward(TrainingModel model, int i, double norm, long dropoutSeed);

    /** Added to the resumable state's fingerprint: a state saved under another objective is not resumed. */
    default String fingerprint() { return ""; }

    /** Called after each optimizer step with its number (1-based), e.g. to publish per-step statistics. */
    default void stepDone(long step) {}

    /** Supervised fine-tuning / language modelling: mean token cross-entropy over the plan's targets. */
    static Objective tokens(BatchPlan plan) {
        return new Objective() {
            @Override public int size() { return plan.size(); }
            @Override public TokenBatch batch(int i) { return plan.get(i); }
            @Override public double weight(int i) { return plan.get(i).targetCount(); }
            @Override public double forwardBackward(TrainingModel model, int i, double norm, long seed) {
                return model.forwardBackward(plan.get(i), norm == 0 ? 0f : 1f / (float) norm, seed);
            }
        };
    }
}
