package dev.selftaught.engine.generate;

/**
 * The log-probability of one token and its most probable alternatives, from the model's raw
 * distribution at that position: {@code log_softmax(logits)} of the forward pass, before any
 * {@link LogitRules} (penalties, guided-decoding masks), temperature, top-k/top-p/min-p. That is
 * vLLM's default ("raw logprobs") and what a judge's calibration needs: the model's own belief,
 * independent of how it was asked to sample.
 *
 * @param token       the token id
 * @param logprob     its natural-log probability ({@code NaN} for the first prompt token, which
 *                    nothing predicts)
 * @param topTokens   the most probable ids at that position, most probable first (ties: lower id)
 * @param topLogprobs their log-probabilities
 */
public record TokenLogprob(int token, float logprob, int[] topTokens, float[] topLogprobs) {
    /** Most alternatives per position a request may ask for (OpenAI's limit for top_logprobs). */
    public static final int MAX_TOP = 20;

    /** The entry of {@code token} at a row of raw logits, with {@code top} alternatives. */
    public static TokenLogprob of(float[] logits, int off, int vocab, int token, int top) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp((double) logits[off + i] - max);
        double lse = max + Math.log(sum);
        int k = Math.min(Math.max(top, 0), vocab);
        int[] ids = new int[k];
        float[] vals = new float[k];
        int n = 0;
        // Insertion into a k-long sorted list: k <= 20, so O(vocab * k) worst case, no allocation.
        for (int i = 0; i < vocab && k > 0; i++) {
            float x = logits[off + i];
            if (n == k && !(x > vals[n - 1])) continue;
            int j = n < k ? n++ : n - 1;
            while (j > 0 && x > vals[j - 1]) {
                vals[j] = vals[j - 1];
                ids[j] = ids[j - 1];
                j--;
            }
            vals[j] = x;
            ids[j] = i;
        }
        for (int i = 0; i < k; i++) vals[i] = (float) (vals[i] - lse);
        return new TokenLogprob(token, (float) (logits[off + token] - lse), ids, vals);
    }
}
