package dev.selftaught.engine.generate;

/**
 * Edits of a sequence's logits before sampling, in this order (vLLM's and OpenAI's meanings):
 * <ol>
 * <li>{@code repetitionPenalty} (vLLM/transformers): a logit of a token already in the prompt or
 *     the output is divided by it when positive, multiplied when negative; 1 = off;</li>
 * <li>{@code presencePenalty} and {@code frequencyPenalty} (OpenAI): subtracted once per token that
 *     occurs in the output, and once per occurrence; 0 = off;</li>
 * <li>{@code minTokens}: the stop ids are masked until that many tokens were generated;</li>
 * <li>{@code mask}: a {@link TokenMask} (guided decoding), or null.</li>
 * </ol>
 * Ranges are bounded so that no edit can overflow a finite logit to infinity (a result beyond
 * the float range is clamped).
 */
public record LogitRules(float repetitionPenalty, float presencePenalty, float frequencyPenalty, int minTokens,
                         TokenMask mask) {
    public static final float MIN_REPETITION_PENALTY = 0.01f, MAX_REPETITION_PENALTY = 100f, MAX_PENALTY = 2f;

    public static final LogitRules NONE = new LogitRules(1f, 0f, 0f, 0, null);

    public LogitRules {
        if (!(repetitionPenalty >= MIN_REPETITION_PENALTY && repetitionPenalty <= MAX_REPETITION_PENALTY)) {
            throw new IllegalArgumentException("repetition_penalty must be in [" + MIN_REPETITION_PENALTY + ", "
                    + MAX_REPETITION_PENALTY + "], got " + repetitionPenalty);
        }
        if (!(Math.abs(presencePenalty) <= MAX_PENALTY)) {
            throw new IllegalArgumentException("presence_penalty must be in [-2, 2], got " + presencePenalty);
        }
        if (!(Math.abs(frequencyPenalty) <= MAX_PENALTY)) {
            throw new IllegalArgumentException("frequency_penalty must be in [-2, 2], got " + frequencyPenalty);
        }
        if (minTokens < 0) throw new IllegalArgumentException("min_tokens must be >= 0, got " + minTokens);
    }

    boolean none() {
        return repetitionPenalty == 1f && presencePenalty == 0f && frequencyPenalty == 0f && minTokens == 0 && mask == null;
    }

    static float clamp(float x) {
        return x == Float.POSITIVE_INFINITY ? Float.MAX_VALUE : x == Float.NEGATIVE_INFINITY ? -Float.MAX_VALUE : x;
    }
}
