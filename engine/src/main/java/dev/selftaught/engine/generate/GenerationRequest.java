package dev.selftaught.engine.generate;

import java.util.List;

/**
 * One sequence to generate.
 *
 * @param prompt      prompt token ids, at least one (an empty text prompt is just BOS)
 * @param sampling    how tokens are chosen
 * @param maxTokens   most new tokens
 * @param seed        seed of this sequence's own random generator (its samples do not depend on
 *                    what else is in the batch)
 * @param stopIds     token ids that end the sequence (not part of the text)
 * @param stopStrings strings that end the sequence; the text stops before the first one
 * @param listener    receives the text as it is produced (may be null)
 * @param rules       penalties, min_tokens and a token mask applied before sampling
 * @param topLogprobs -1: no log-probabilities; k in [0, {@link TokenLogprob#MAX_TOP}]: each generated
 *                    token's {@link TokenLogprob} with its k most probable alternatives
 * @param echo        also the prompt tokens' log-probabilities (needs topLogprobs >= 0); the
 *                    prompt is then prefilled with a logits row per token
 */
public record GenerationRequest(int[] prompt, SamplingConfig sampling, int maxTokens, long seed, int[] stopIds,
                                List<String> stopStrings, Listener listener, LogitRules rules, int topLogprobs,
                                boolean echo) {

    /**
     * Streaming callback, called on the decoding thread: keep it quick. Throwing an unchecked
     * exception cancels this sequence (it fails with that exception); the others go on.
     */
    @FunctionalInterface
    public interface Listener {
        /** New text of the completion (never part of a stop string). */
        void onText(String delta);

        /**
         * New text with the log-probabilities of the tokens accepted since the last call (only
         * when the request asked for them; the list may be non-empty with empty text while a
         * stop string is still undecided, and is flushed when the sequence ends).
         */
        default void onText(String delta, List<TokenLogprob> logprobs) { onText(delta); }
    }

    public GenerationRequest {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("prompt must hold at least one token (BOS for an empty prompt)");
        if (maxTokens <= 0) throw new IllegalArgumentException("maxTokens must be > 0, got " + maxTokens);
        prompt = prompt.clone();
        stopIds = stopIds == null ? new int[0] : stopIds.clone();
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String s : stopStrings) if (s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
        if (rules == null) rules = LogitRules.NONE;
        if (topLogprobs < -1 || topLogprobs > TokenLogprob.MAX_TOP) {
            throw new IllegalArgumentException("topLogprobs must be in [-1, " + TokenLogprob.MAX_TOP + "], got " + topLogprobs);
        }
        if (echo && topLogprobs < 0) throw new IllegalArgumentException("echo needs topLogprobs >= 0");
    }

    /** A request without log-probabilities. */
    public GenerationRequest(int[] prompt, SamplingConfig sampling, int maxTokens, long seed, int[] stopIds,
                             List<String> stopStrings, Listener listener, LogitRules rules) {
        this(prompt, sampling, maxTokens, seed, stopIds, stopStrings, listener, rules, -1, false);
    }

    public boolean wantsLogprobs() { return topLogprobs >= 0; }

    /** A request without logit rules. */
    public GenerationRequest(int[] prompt, SamplingConfig sampling, int maxTokens, long seed, int[] stopIds,
                             List<String> stopStrings, Listener listener) {
        this(prompt, sampling, maxTokens, seed, stopIds, stopStrings, listener, LogitRules.NONE);
    }

    public static GenerationRequest greedy(int[] prompt, int maxTokens, int[] stopIds) {
        return new GenerationRequest(prompt, SamplingConfig.GREEDY, maxTokens, 0L, stopIds, List.of(), null);
    }
}
