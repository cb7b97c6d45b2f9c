package dev.selftaught.llm;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How to sample completions. Fields left at their "unset" value are not sent to a server
 * (topK 0, minP 0, seed null); {@code extra} is passed through verbatim into an HTTP request body
 * (vLLM's guided decoding, repetition penalties, ...).
 *
 * @param temperature 0 means greedy
 * @param topP        nucleus sampling mass, 1 = off
 * @param topK        0 = off
 * @param minP        0 = off
 * @param maxTokens   most new tokens per completion
 * @param stop        stop strings (not included in the returned text)
 * @param seed        base seed, or null for none; sample i of a request uses a seed derived from it
 * @param n           completions wanted
 * @param extra       extra request-body parameters for HTTP backends (never null)
 */
public record SamplingParams(
        double temperature,
        double topP,
        int topK,
        double minP,
        int maxTokens,
        List<String> stop,
        Long seed,
        int n,
        Map<String, Object> extra) {

    /**
     * {@link #extra()} key asking for log-probabilities: an Integer k in [0, 20], the number of
     * alternatives per token. Backends translate it to their wire format (chat: {@code logprobs:
     * true, top_logprobs: k}; completions: {@code logprobs: k}) and fill {@link Completion#logprobs()}.
     */
    public static final String LOGPROBS = "logprobs";
    /** {@link #extra()} key (Boolean): also the prompt tokens' log-probabilities (completions' {@code echo}). */
    public static final String ECHO = "echo";

    /** The number of alternatives asked for per token, or -1 when no log-probabilities are asked for. */
    public int topLogprobs() {
        return extra.get(LOGPROBS) instanceof Number k ? k.intValue() : -1;
    }

    /** These parameters asking for log-probabilities with {@code k} alternatives per token. */
    public SamplingParams withLogprobs(int k) {
        Map<String, Object> x = new java.util.LinkedHashMap<>(extra);
        x.put(LOGPROBS, k);
        return new SamplingParams(temperature, topP, topK, minP, maxTokens, stop, seed, n, x);
    }

    public SamplingParams {
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        if (minP < 0 || minP >= 1) throw new IllegalArgumentException("min_p must be in [0, 1), got " + minP);
        if (maxTokens <= 0) throw new IllegalArgumentException("max_tokens must be > 0, got " + maxTokens);
        if (n <= 0) throw new IllegalArgumentException("n must be > 0, got " + n);
        stop = stop == null ? List.of() : List.copyOf(stop);
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    /** Greedy decoding, one completion. */
    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0, 1, 0, 0, maxTokens, List.of(), null, 1, Map.of());
    }

    /** Temperature / top-p sampling. */
    public static SamplingParams sample(double temperature, double topP, int maxTokens, int n, Long seed) {
        return new SamplingParams(temperature, topP, 0, 0, maxTokens, List.of(), seed, n, Map.of());
    }

    public SamplingParams withN(int newN) {
        return new SamplingParams(temperature, topP, topK, minP, maxTokens, stop, seed, newN, extra);
    }

    public SamplingParams withSeed(Long newSeed) {
        return new SamplingParams(temperature, topP, topK, minP, maxTokens, stop, newSeed, n, extra);
    }

    public SamplingParams withStop(List<String> newStop) {
        return new SamplingParams(temperature, topP, topK, minP, maxTokens, newStop, seed, n, extra);
    }

    public SamplingParams withMaxTokens(int newMax) {
        return new SamplingParams(temperature, topP, topK, minP, newMax, stop, seed, n, extra);
    }

    /**
     * Seed for sample {@code index} of a request: the request's seed for index 0 and a fixed mix
     * of (seed, index) after, so each sample is reproducible on its own. Null when unseeded.
     */
    public Long sampleSeed(int index) {
        if (seed == null) return null;
        if (index == 0) return seed;
        long z = seed + 0x9E3779B97F4A7C15L * index;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (z ^ (z >>> 31)) & 0x7FFFFFFFFFFFL; // positive, fits servers that parse 53-bit ints
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SamplingParams p && Double.compare(temperature, p.temperature) == 0
                && Double.compare(topP, p.topP) == 0 && topK == p.topK && Double.compare(minP, p.minP) == 0
                && maxTokens == p.maxTokens && stop.equals(p.stop) && Objects.equals(seed, p.seed)
                && n == p.n && extra.equals(p.extra);
    }

    @Override
    public int hashCode() {
        return Objects.hash(temperature, topP, topK, minP, maxTokens, stop, seed, n, extra);
    }
}
