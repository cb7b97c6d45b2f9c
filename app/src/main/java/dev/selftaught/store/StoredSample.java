package dev.selftaught.store;

import dev.selftaught.llm.Completion;
import dev.selftaught.llm.Usage;

/**
 * One row of the call store: sample {@code sampleIndex} of one request, either completed
 * ({@code ok}, with text and finish reason) or failed (with the reason).
 *
 * @param key              SHA-256 of (model identity, input, sampling params without n, sample index)
 * @param requestKey       SHA-256 of the same without the sample index (all samples of a request share it)
 * @param promptTokens     prompt tokens attributed to this sample (the first sample of a backend call
 *                         carries the call's prompt tokens, the others 0)
 * @param completionTokens completion tokens attributed to this sample (a call's total split evenly)
 * @param attempts         how many times this sample was tried and failed before (0 for a first success)
 */
public record StoredSample(String key, String requestKey, int sampleIndex, String model, boolean ok,
                           String text, String finishReason, long promptTokens, long completionTokens,
                           String error, int attempts) {

    public static StoredSample success(String key, String requestKey, int index, String model, Completion c, Usage u) {
        return new StoredSample(key, requestKey, index, model, true, c.text(), c.finishReason(),
                u.promptTokens(), u.completionTokens(), null, 0);
    }

    public static StoredSample failure(String key, String requestKey, int index, String model, String reason) {
        return new StoredSample(key, requestKey, index, model, false, null, null, 0, 0, reason, 1);
    }

    public Completion completion() { return new Completion(text, finishReason); }

    public Usage usage() { return new Usage(promptTokens, completionTokens); }
}
