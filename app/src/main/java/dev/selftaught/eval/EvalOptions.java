package dev.selftaught.eval;

import java.util.Objects;

/**
 * How to run a judge over a benchmark.
 *
 * @param order        A/B placement of the chosen answer (default {@link Order#RANDOM})
 * @param seed         seed of the random order and of sampled judgments
 * @param samples      judgments per item and order; 1 = one greedy call (RewardBench protocol),
 *                     k &gt; 1 = k sampled judgments and a majority vote ({@link MajorityVote})
 * @param temperature  sampling temperature when samples &gt; 1 (default 0.7, the method's value)
 * @param topP         nucleus mass when samples &gt; 1 (default 0.9)
 * @param maxTokens    most new tokens per judgment (default 2048, as the reference evaluation)
 * @param parseRule    verdict parse rule (default {@link ParseRule#REWARDBENCH})
 * @param prompts      judge prompt templates (default pair-v2 with its multi-turn variant)
 * @param maxTurns     items with more user turns are not judged and score 0.5, as in RewardBench
 *                     (default 2); 0 = judge every item whatever its length
 * @param concurrency  judge calls in flight at once
 * @param priorSets    RewardBench "Prior Sets" score in [0, 1] for the leaderboard formula, or null
 * @param progress     told after each finished call (may be null)
 */
public record EvalOptions(Order order, long seed, int samples, double temperature, double topP, int maxTokens,
                          ParseRule parseRule, JudgePrompts prompts, int maxTurns, int concurrency, Double priorSets,
                          Progress progress) {

    /** Receives (calls done, calls total) from the evaluator, possibly from several threads. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);
    }

    public EvalOptions {
        Objects.requireNonNull(order, "order");
        Objects.requireNonNull(parseRule, "parseRule");
        Objects.requireNonNull(prompts, "prompts");
        if (samples < 1) throw new IllegalArgumentException("samples must be >= 1, got " + samples);
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        if (maxTurns < 0) throw new IllegalArgumentException("maxTurns must be >= 0, got " + maxTurns);
        if (concurrency < 1) throw new IllegalArgumentException("concurrency must be >= 1, got " + concurrency);
        if (priorSets != null && (priorSets < 0 || priorSets > 1)) {
            throw new IllegalArgumentException("priorSets is a fraction in [0, 1], got " + priorSets);
        }
    }

    /** RewardBench's protocol: random order (seed 1), one greedy judgment, RewardBench parse rule, pair-v2. */
    public static EvalOptions defaults() {
        return new EvalOptions(Order.RANDOM, 1, 1, 0.7, 0.9, 2048, ParseRule.REWARDBENCH, JudgePrompts.pairV2(),
                2, 8, null, null);
    }

    public EvalOptions withOrder(Order o) { return new EvalOptions(o, seed, samples, temperature, topP, maxTokens, parseRule, prompts, maxTurns, concurrency, priorSets, progress); }
    public EvalOptions withSeed(long s) { return new EvalOptions(order, s, samples, temperature, topP, maxTokens, parseRule, prompts, maxTurns, concurrency, priorSets, progress); }
    public EvalOptions withSamples(int k) { return new EvalOptions(order, seed, k, temperature, topP, maxTokens, parseRule, prompts, maxTurns, concurrency, priorSets, progress); }
    public EvalOptions withSampling(double t, double p) { return new EvalOptions(order, seed, samples, t, p, maxTokens, parseRule, prompts, maxTurns, concurrency, priorSets, progress); }
    public EvalOptions withMaxTokens(int m) { return new EvalOptions(order, seed, samples, temperature, topP, m, parseRule, prompts, maxTurns, concurrency, priorSets, progress); }
    public EvalOptions withParseRule(ParseRule r) { return new EvalOptions(order, seed, samples, temperature, topP, maxTokens, r, prompts, maxTurns, concurrency, priorSets, progress); }
    public EvalOptions withPrompts(JudgePrompts p) { return new EvalOptions(order, seed, samples, temperature, topP, maxTokens, parseRule, p, maxTurns, concurrency, priorSets, progress); }
    public EvalOptions withMaxTurns(int t) { return new EvalOptions(order, seed, samples, temperature, topP, maxTokens, parseRule, prompts, t, concurrency, priorSets, progress); }
    public EvalOptions withConcurrency(int c) { return new EvalOptions(order, seed, samples, temperature, topP, maxTokens, parseRule, prompts, maxTurns, c, priorSets, progress); }
    public EvalOptions withPriorSets(Double p) { return new EvalOptions(order, seed, samples, temperature, topP, maxTokens, parseRule, prompts, maxTurns, concurrency, p, progress); }
    public EvalOptions withProgress(Progress p) { return new EvalOptions(order, seed, samples, temperature, topP, maxTokens, parseRule, prompts, maxTurns, concurrency, priorSets, p); }

    /** True when judgments are sampled (k &gt; 1) rather than greedy. */
    public boolean sampled() { return samples > 1; }
}
