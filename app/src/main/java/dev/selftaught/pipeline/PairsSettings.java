package dev.selftaught.pipeline;

import dev.selftaught.data.InputError;

/**
 * Settings of the pairs stage (config section {@code pairs}).
 *
 * @param method       modified_instruction (the method, default) or bad_response (the spec's ablation)
 * @param prompt       prompt template file for the second call, or null for the built-in one
 *                     (modified_instruction: slots {input}, {generation}; bad_response: the same)
 * @param temperature  generation temperature (spec: 0.7)
 * @param topP         nucleus mass (spec: 0.9)
 * @param maxTokens    most new tokens per generation (spec: 4096)
 * @param seed         base seed; each call's seed is derived from it and the instruction id
 */
public record PairsSettings(String method, String prompt, double temperature, double topP, int maxTokens, long seed) {
    public static final String MODIFIED = "modified_instruction";
    public static final String BAD = "bad_response";

    // The defaults, defined once (the constructor, defaults() and the pairs command use them).
    public static final double TEMPERATURE = 0.7;
    public static final double TOP_P = 0.9;
    public static final int MAX_TOKENS = 4096;
    public static final long SEED = 1;

    public PairsSettings {
        if (method == null) method = MODIFIED;
        if (!method.equals(MODIFIED) && !method.equals(BAD)) {
            throw new InputError("pairs.method must be '" + MODIFIED + "' or '" + BAD + "', got '" + method + "'");
        }
        if (maxTokens <= 0) maxTokens = MAX_TOKENS;
    }

    public static PairsSettings defaults() {
        return new PairsSettings(MODIFIED, null, TEMPERATURE, TOP_P, MAX_TOKENS, SEED);
    }
}
