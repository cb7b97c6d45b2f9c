package dev.selftaught.engine.train;

/**
 * Linear warm-up from lr/warmup to lr over {@code warmup} steps, then cosine decay to
 * {@code lr · finalRatio} at the last step.
 */
public record LrSchedule(float lr, int warmup, long totalSteps, float finalRatio) {
    /** Learning rate for 0-based step {@code s}. */
    public float at(long s) {
        if (warmup > 0 && s < warmup) return lr * (s + 1) / warmup;
        long decaySteps = totalSteps - warmup;
        if (decaySteps <= 1) return lr;
        double progress = Math.min(1.0, (double) (s - warmup) / (decaySteps - 1));
        double cos = 0.5 * (1 + Math.cos(Math.PI * progress));
        return (float) (lr * (finalRatio + (1 - finalRatio) * cos));
    }
}
