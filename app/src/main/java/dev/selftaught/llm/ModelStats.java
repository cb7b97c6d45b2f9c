package dev.selftaught.llm;

/**
 * What a model has done so far in this process (token accounting per run).
 *
 * @param calls            backend calls that succeeded (HTTP requests answered with completions)
 * @param retries          attempts that failed with a retryable error and were tried again
 * @param failures         calls that failed for good (retries exhausted or not retryable)
 * @param promptTokens     prompt tokens reported by the backend for the successful calls
 * @param completionTokens completion tokens reported by the backend for the successful calls
 * @param cost             cost of those tokens by the configured price table, or null without one
 * @param samplesFromStore samples served from a call store without calling the model
 */
public record ModelStats(long calls, long retries, long failures, long promptTokens, long completionTokens,
                         Double cost, long samplesFromStore) {
    public static final ModelStats NONE = new ModelStats(0, 0, 0, 0, 0, null, 0);

    public long totalTokens() { return promptTokens + completionTokens; }

    public ModelStats withSamplesFromStore(long n) {
        return new ModelStats(calls, retries, failures, promptTokens, completionTokens, cost, n);
    }
}
