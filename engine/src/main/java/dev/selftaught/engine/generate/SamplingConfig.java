package dev.selftaught.engine.generate;

/**
 * How the next token is chosen from the logits.
 *
 * @param temperature 0 = greedy (argmax, lowest id on ties); otherwise logits are divided by it
 * @param topK        keep only the k most probable tokens; 0 = off
 * @param topP        keep the smallest set of most probable tokens whose mass reaches p; 1 = off
 * @param minP        keep tokens whose probability is at least minP times the top one; 0 = off
 */
public record SamplingConfig(float temperature, int topK, float topP, float minP) {
    public SamplingConfig {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be 0 or a finite positive number, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP < 1)) throw new IllegalArgumentException("min_p must be in [0, 1), got " + minP);
    }

    public static final SamplingConfig GREEDY = new SamplingConfig(0f, 0, 1f, 0f);

    public static SamplingConfig temperature(float t) { return new SamplingConfig(t, 0, 1f, 0f); }

    public boolean greedy() { return temperature == 0f; }
}
