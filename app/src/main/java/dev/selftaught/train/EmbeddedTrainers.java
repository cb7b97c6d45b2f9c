package dev.selftaught.train;

/** The embedded (in-process CPU) trainer as the pipeline's train stage opens it. */
public final class EmbeddedTrainers {
    private EmbeddedTrainers() {}

    /**
     * @param metric task metric on candidate checkpoints (pairwise validation accuracy), used by the
     *               trainer for best-checkpoint selection and early stopping; null for loss only
     */
    public static TrainerBackend create(EmbeddedTrainer.CheckpointMetric metric) {
        return new EmbeddedTrainer(null, metric);
    }
}
