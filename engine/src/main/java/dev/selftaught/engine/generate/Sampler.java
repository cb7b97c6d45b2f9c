package dev.selftaught.engine.generate;

import java.util.random.RandomGenerator;

/**
 * Picks the next token from a row of logits. Order of operations: divide by the temperature,
 * softmax, then top-k, top-p and min-p filters over the probabilities (each relative to what the
 * previous filter kept), renormalise, and draw one uniform number from the sequence's own random
 * generator. Candidates are visited in a fixed order (probability descending, id ascending), so
 * a given generator state always picks the same token.
 *
 * <p>Robust to any logits: the temperature divides {@code logit - max} in double precision, so a
 * tiny temperature sharpens to the top token instead of overflowing; tokens whose logit is
 * {@code -inf} (masked, see {@link TokenMask}) are never chosen. Logits that are NaN or
 * {@code +inf}, or a row where every token is masked, throw {@link SamplingException}: that
 * sequence fails with a clear message, the others go on.
 *
 * <p>Holds scratch buffers of the vocabulary size; one instance per decoding thread.
 */
public final class Sampler {
    private final int vocab;
    private final float[] probs;
    private final int[] cand;
    private int nCand;
    private float candMass;

    public Sampler(int vocab) {
        this.vocab = vocab;
        this.probs = new float[vocab];
        this.cand = new int[vocab];
    }

    /** Chooses a token from {@code logits[off .. off+vocab)}. {@code rng} is unused when greedy. */
    public int sample(float[] logits, int off, SamplingConfig cfg, RandomGenerator rng) {
        checkFinite(logits, off);
        if (cfg.greedy()) return argmax(logits, off, vocab);
        filter(logits, off, cfg);
        float r = (float) rng.nextDouble() * candMass;
        float cdf = 0f;
        for (int i = 0; i < nCand; i++) {
            cdf += probs[cand[i]];
            if (r < cdf) return cand[i];
        }
        return cand[nCand - 1]; // rounding: r at the very top of the mass
    }

    /** Refuses NaN and +inf anywhere in the row, and a row with no finite logit at all. */
    private void checkFinite(float[] logits, int off) {
        boolean any = false;
        for (int i = 0; i < vocab; i++) {
            float x = logits[off + i];
            if (Float.isNaN(x) || x == Float.POSITIVE_INFINITY) {
                throw new SamplingException("the model produced a non-finite logit (" + x + ") for token " + i
                        + "; the checkpoint or its inputs are numerically broken");
            }
            any |= x != Float.NEGATIVE_INFINITY;
        }
        if (!any) throw new SamplingException("every token is masked out (all logits are -inf): nothing can be sampled");
    }

    public static int argmax(float[] a, int off, int n) {
        int best = 0;
        float bv = a[off];
        for (int i = 1; i < n; i++) {
            if (a[off + i] > bv) { bv = a[off + i]; best = i; }
        }
        return best;
    }

    /**
     * Applies temperature and filters; afterwards {@link #candidateCount()} tokens remain,
     * {@link #candidate(int)} in visiting order with unnormalised {@link #probability(int)}.
     */
    void filter(float[] logits, int off, SamplingConfig cfg) {
        // (logit - max) / T in double: never overflows (|logit - max| < 7e38, 1/T is finite), the
        // top token gets exp(0) = 1, so the sum is >= 1 and no probability is NaN.
        double inv = 1.0 / cfg.temperature();
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            float p = (float) Math.exp(((double) logits[off + i] - max) * inv);
            probs[i] = p;
            sum += p;
        }
        float norm = (float) (1.0 / sum);
        for (int i = 0; i < vocab; i++) probs[i] *= norm;
        float pmax = (float) (1.0 / sum); // the top token's probability: exp(0) / sum

        boolean filtered = cfg.topK() > 0 || cfg.topP() < 1f || cfg.minP() > 0f;
        if (!filtered) {
            // No filter: every token is a candidate, visited in id order (no sort needed).
            nCand = vocab;
            for (int i = 0; i < vocab; i++) cand[i] = i;
            candMass = 1f;
            return;
        }
        // Cheap pre-cuts before sorting. Min-p: below minP * pmax never survives (top-k and
        // top-p keep the top token, so the threshold is the same after them). Top-p: a token
        // below (1 - p) / (V - 1) cannot be needed to reach mass p.
        float cut = cfg.minP() * pmax;
        // (Only without top-k: after top-k the nucleus is measured against the kept mass.)
        if (cfg.topP() < 1f && cfg.topK() == 0) cut = Math.max(cut, Math.min((1f - cfg.topP()) / (vocab - 1), pmax));
        int n = 0;
        for (int i = 0; i < vocab; i++) if (probs[i] >= cut) cand[n++] = i;
        sortByProbability(n);
        if (cfg.topK() > 0) n = Math.min(n, cfg.topK());
        if (cfg.topP() < 1f) {
            float kept = 1f;
            if (cfg.topK() > 0) {
                kept = 0f;
                for (int i = 0; i < n; i++) kept += probs[cand[i]];
            }
            float target = cfg.topP() * kept, mass = 0f;
            for (int i = 0; i < n; i++) {
                mass += probs[cand[i]];
                if (mass >= target) { n = i + 1; break; }
            }
        }
        if (cfg.minP() > 0f) {
            float threshold = cfg.minP() * probs[cand[0]];
            int k = 0;
            while (k < n && probs[cand[k]] >= threshold) k++;
            n = Math.max(1, k);
        }
        nCand = n;
        float mass = 0f;
        for (int i = 0; i < n; i++) mass += probs[cand[i]];
        candMass = mass;
    }

    int candidateCount() { return nCand; }

    int candidate(int i) { return cand[i]; }

    /** Probability of candidate i renormalised over the kept set. */
    float probability(int i) { return probs[cand[i]] / candMass; }

    /** Sorts cand[0..n) by probability descending, id ascending. */
    private void sortByProbability(int n) {
        // Sort boxed-free: pack (probability bits, id) into longs. Probabilities are >= 0, so
        // their float bits order like the values.
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            int id = cand[i];
            keys[i] = ((long) (Integer.MAX_VALUE - Float.floatToRawIntBits(probs[id])) << 32) | id;
        }
        java.util.Arrays.sort(keys);
        for (int i = 0; i < n; i++) cand[i] = (int) keys[i];
    }
}
