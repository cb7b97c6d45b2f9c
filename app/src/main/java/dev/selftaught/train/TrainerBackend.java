package dev.selftaught.train;

/**
 * Something that fine-tunes a model: the embedded CPU trainer, or an external command
 * (TRL, torchtune, axolotl, fairseq2, torchrun/sbatch) fed by our dataset exports.
 */
public interface TrainerBackend {
    /** Runs the job to completion (resuming if it was interrupted) and returns the model spec of the result. */
    String train(TrainJob job);
}
