package dev.selftaught.engine.generate;

/**
 * A finished sequence.
 *
 * @param tokens       generated ids, without a final stop id
 * @param text         the completion text, cut before a stop string
 * @param finish       why it ended
 * @param promptTokens prompt length in tokens
 */
public record GenerationResult(int[] tokens, String text, Finish finish, int promptTokens) {
    public enum Finish {
        /** A stop id or stop string. */
        STOP,
        /** maxTokens reached, or the model's context is full. */
        LENGTH
    }

    /** Generated tokens counted for usage: every sampled token, including a final stop id. */
    public int completionTokens() { return tokens.length + (finish == Finish.STOP ? 1 : 0); }
}
