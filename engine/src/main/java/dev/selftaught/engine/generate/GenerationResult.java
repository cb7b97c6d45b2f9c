package dev.selftaught.engine.generate;

/**
 * A finished sequence.
 *
 * @param tokens       generated ids, without a final stop id
 * @param text         the completion text, cut before a stop string
 * @param finish       why it ended
 * @param promptTokens prompt length in tokens
 * @param logprobs     one entry per generated token (same order as {@code tokens}), or null when
 *                     not asked for
 * @param promptLogprobs one entry per prompt token (the first with logprob NaN) when echo was asked
 *                     for, else null
 */
public record GenerationResult(int[] tokens, String text, Finish finish, int promptTokens,
                               java.util.List<TokenLogprob> logprobs, java.util.List<TokenLogprob> promptLogprobs) {
    public GenerationResult(int[] tokens, String text, Finish finish, int promptTokens) {
        this(tokens, text, finish, promptTokens, null, null);
    }

    public enum Finish {
        /** A stop id or stop string. */
        STOP,
        /** maxTokens reached, or the model's context is full. */
        LENGTH
    }

    /** Generated tokens counted for usage: every sampled token, including a final stop id. */
    public int completionTokens() { return tokens.length + (finish == Finish.STOP ? 1 : 0); }
}
