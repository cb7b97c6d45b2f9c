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
 */
public record GenerationRequest(int[] prompt, SamplingConfig sampling, int maxTokens, long seed, int[] stopIds,
                                List<String> stopStrings, Listener listener, LogitRules rules) {

    /**
     * Streaming callback, called on the decoding thread: keep it quick. Throwing an unchecked
     * exception cancels this sequence (it fails with that exception); the others go on.
     */
    @FunctionalInterface
    public interface Listener {
        /** New text of the completion (never part of a stop string). */
        void onText(String delta);
    }

    public GenerationRequest {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("prompt must hold at least one token (BOS for an empty prompt)");
        if (maxTokens <= 0) throw new IllegalArgumentException("maxTokens must be > 0, got " + maxTokens);
        prompt = prompt.clone();
        stopIds = stopIds == null ? new int[0] : stopIds.clone();
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String s : stopStrings) if (s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
        if (rules == null) rules = LogitRules.NONE;
    }

    /** A request without logit rules. */
    public GenerationRequest(int[] prompt, SamplingConfig sampling, int maxTokens, long seed, int[] stopIds,
                             List<String> stopStrings, Listener listener) {
        this(prompt, sampling, maxTokens, seed, stopIds, stopStrings, listener, LogitRules.NONE);
    }

    public static GenerationRequest greedy(int[] prompt, int maxTokens, int[] stopIds) {
        return new GenerationRequest(prompt, SamplingConfig.GREEDY, maxTokens, 0L, stopIds, List.of(), null);
    }
}
