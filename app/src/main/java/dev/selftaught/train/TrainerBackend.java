package dev.selftaught.train;

/**
 * Something that fine-tunes a model: the embedded CPU trainer, or an external command
 * (TRL, torchtune, axolotl, fairseq2, torchrun/sbatch) fed by our dataset exports.
 */
public interface TrainerBackend {
    /** Runs the job to completion (resuming if it was interrupted) and returns the model spec of the result. */
    String train(TrainJob job);

    /**
     * What the last {@link #train} did with the rows (read, dropped or cut for length, ...), for the
     * train stage's stats.json; empty when the backend cannot tell (an external command).
     */
    default java.util.Map<String, Object> lastStats() {
        return java.util.Map.of();
    }
}
