package dev.selftaught.engine.train;

/**
 * Hyper-parameters of one training run.
 *
 * @param lr              peak learning rate
 * @param warmupSteps     linear warm-up steps
 * @param finalLrRatio    cosine decay ends at lr × this
 * @param beta1           AdamW β1
 * @param beta2           AdamW β2
 * @param eps             AdamW ε
 * @param weightDecay     decoupled weight decay (not applied to norms and biases)
 * @param gradClip        global gradient-norm clip; 0 disables
 * @param accumSteps      micro-batches per optimizer step
 * @param seed            seed for dropout (and for initialisation done by callers)
 * @param threads         worker threads; the same seed and thread count give bitwise-identical weights
 * @param evalEvery       validation loss / task metric every this many steps (0: only at the end)
 * @param checkpointEvery write the resumable state every this many steps (0: only at the end)
 * @param patience        stop after this many evaluations without improvement (0: never stop early)
 * @param lora            train a LoRA adapter on a frozen base, or null for full fine-tuning
 */
public record TrainOptions(float lr, int warmupSteps, float finalLrRatio, float beta1, float beta2, float eps,
                           float weightDecay, float gradClip, int accumSteps, long seed, int threads,
                           int evalEvery, int checkpointEvery, int patience, LoraConfig lora) {
    public TrainOptions {
        if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be positive, got " + lr);
        if (warmupSteps < 0) throw new IllegalArgumentException("warm-up steps must be >= 0");
        if (accumSteps < 1) throw new IllegalArgumentException("gradient accumulation steps must be >= 1");
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
    }

    /** Sensible defaults for fine-tuning small models. */
    public static TrainOptions defaults() {
        return new TrainOptions(1e-4f, 10, 0.1f, 0.9f, 0.95f, 1e-8f, 0.0f, 1.0f, 1, 1234L,
                Math.max(1, Runtime.getRuntime().availableProcessors()), 0, 50, 0, null);
    }

    public TrainOptions withLr(float v) { return new TrainOptions(v, warmupSteps, finalLrRatio, beta1, beta2, eps, weightDecay, gradClip, accumSteps, seed, threads, evalEvery, checkpointEvery, patience, lora); }
    public TrainOptions withWarmup(int v) { return new TrainOptions(lr, v, finalLrRatio, beta1, beta2, eps, weightDecay, gradClip, accumSteps, seed, threads, evalEvery, checkpointEvery, patience, lora); }
    public TrainOptions withFinalLrRatio(float v) { return new TrainOptions(lr, warmupSteps, v, beta1, beta2, eps, weightDecay, gradClip, accumSteps, seed, threads, evalEvery, checkpointEvery, patience, lora); }
    public TrainOptions withWeightDecay(float v) { return new TrainOptions(lr, warmupSteps, finalLrRatio, beta1, beta2, eps, v, gradClip, accumSteps, seed, threads, evalEvery, checkpointEvery, patience, lora); }
    public TrainOptions withGradClip(float v) { return new TrainOptions(lr, warmupSteps, finalLrRatio, beta1, beta2, eps, weightDecay, v, accumSteps, seed, threads, evalEvery, checkpointEvery, patience, lora); }
    public TrainOptions withAccumSteps(int v) { return new TrainOptions(lr, warmupSteps, finalLrRatio, beta1, beta2, eps, weightDecay, gradClip, v, seed, threads, evalEvery, checkpointEvery, patience, lora); }
    public TrainOptions withSeed(long v) { return new TrainOptions(lr, warmupSteps, finalLrRatio, beta1, beta2, eps, weightDecay, gradClip, accumSteps, v, threads, evalEvery, checkpointEvery, patience, lora); }
    public TrainOptions withThreads(int v) { return new TrainOptions(lr, warmupSteps, finalLrRatio, beta1, beta2, eps, weightDecay, gradClip, accumSteps, seed, v, evalEvery, checkpointEvery, patience, lora); }
    public TrainOptions withEvalEvery(int v) { return new TrainOptions(lr, warmupSteps, finalLrRatio, beta1, beta2, eps, weightDecay, gradClip, accumSteps, seed, threads, v, checkpointEvery, patience, lora); }
    public TrainOptions withCheckpointEvery(int v) { return new TrainOptions(lr, warmupSteps, finalLrRatio, beta1, beta2, eps, weightDecay, gradClip, accumSteps, seed, threads, evalEvery, v, patience, lora); }
    public TrainOptions withPatience(int v) { return new TrainOptions(lr, warmupSteps, finalLrRatio, beta1, beta2, eps, weightDecay, gradClip, accumSteps, seed, threads, evalEvery, checkpointEvery, v, lora); }
    public TrainOptions withLora(LoraConfig v) { return new TrainOptions(lr, warmupSteps, finalLrRatio, beta1, beta2, eps, weightDecay, gradClip, accumSteps, seed, threads, evalEvery, checkpointEvery, patience, v); }

    /** A stable text form, stored in checkpoints so a resume with different settings is refused. */
    String fingerprint() {
        return String.join(",", Float.toString(lr), Integer.toString(warmupSteps), Float.toString(finalLrRatio),
                Float.toString(beta1), Float.toString(beta2), Float.toString(eps), Float.toString(weightDecay),
                Float.toString(gradClip), Integer.toString(accumSteps), Long.toString(seed), Integer.toString(threads),
                Integer.toString(evalEvery), Integer.toString(patience), String.valueOf(lora));
    }
}
