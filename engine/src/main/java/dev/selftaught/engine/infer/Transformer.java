package dev.selftaught.engine.infer;

import dev.selftaught.engine.kernel.Kernels;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.kernel.Matrix;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.model.ModelWeights;

/**
 * The Llama forward pass over a batch of rows. A row is one token of one sequence at one
 * position: a decoding sequence contributes one row per step, a prompt being prefilled many
 * consecutive rows. All rows go through each weight matrix together (one batched matmul per
 * matrix), so the weights are read from memory once per step whatever the batch size.
 *
 * <p>Every buffer is allocated in the constructor for at most {@code maxRows} rows; the per-step
 * path allocates nothing. Not thread-safe: one step at a time; the {@link ThreadTeam} supplies
 * the parallelism inside a step.
 */
public final class Transformer {
    private final LlamaConfig c;
    private final ModelWeights w;
    private final ThreadTeam team;
    private final KvCache cache;
    private final Rope rope;
    private final int maxRows, maxLogitRows;
    private final int dim, kvDim, hidden, headSize, nHeads, kvMul, vocab;
    private final float eps;
    private final float attScale;

    // Activations, [maxRows][width] each.
    private final float[] x, xb, xb2, q, k, v, hb, hb2;
    private final float[] logits;
    private final float[][] cos, sin;      // [maxRows][headSize/2]
    private final float[][] att;           // per worker [maxSeqLen]
    private final float[][] scratch;       // per worker, rows of a matrix decoded to floats
    // Per-step row description, set by forward().
    private int m;
    private int[] slots, positions;

    /**
     * @param maxRows most rows (tokens over all sequences) one {@link #forward} call may process;
     *                also the most rows that may ask for logits
     */
    public Transformer(LlamaWeights weights, int maxRows, ThreadTeam team) {
        this(weights, maxRows, maxRows, team);
    }

    /**
     * @param maxLogitRows most rows that may ask for logits in one call (one per sequence is
     *                     enough for generation; the logits buffer is {@code maxLogitRows x vocab})
     */
    public Transformer(LlamaWeights weights, int maxRows, int maxLogitRows, ThreadTeam team) {
        this(ModelWeights.of(weights), maxRows, maxLogitRows, team);
    }

    /** Runs over weights in any storage encoding; every row may ask for logits. */
    public Transformer(ModelWeights weights, int maxRows, ThreadTeam team) {
        this(weights, maxRows, maxRows, team);
    }

    /** Runs over weights in any storage encoding (e.g. a memory-mapped quantized GGUF file). */
    public Transformer(ModelWeights weights, int maxRows, int maxLogitRows, ThreadTeam team) {
        this.w = weights;
        this.c = weights.config;
        this.team = team;
        this.maxRows = maxRows;
        this.cache = new KvCache(c);
        this.rope = new Rope(c);
        dim = c.dim();
        kvDim = c.kvDim();
        hidden = c.hiddenDim();
        headSize = c.headSize();
        nHeads = c.nHeads();
        kvMul = c.kvMul();
        vocab = c.vocabSize();
        eps = c.normEps();
        attScale = (float) (1.0 / Math.sqrt(headSize));
        x = new float[maxRows * dim];
        xb = new float[maxRows * dim];
        xb2 = new float[maxRows * dim];
        q = new float[maxRows * dim];
        k = new float[maxRows * kvDim];
        v = new float[maxRows * kvDim];
        hb = new float[maxRows * hidden];
        hb2 = new float[maxRows * hidden];
        this.maxLogitRows = Math.min(maxRows, maxLogitRows);
        logits = new float[this.maxLogitRows * vocab];
        cos = new float[maxRows][headSize / 2];
        sin = new float[maxRows][headSize / 2];
        att = new float[team.size()][c.maxSeqLen()];
        scratch = new float[team.size()][Matrix.scratchFloats(Math.max(dim, hidden))];
    }

    public LlamaConfig config() { return c; }

    public KvCache cache() { return cache; }

    public int maxRows() { return maxRows; }

    public int maxLogitRows() { return maxLogitRows; }

    /** Logits of the rows asked for in the last {@link #forward}: row {@code i} at {@code i * vocab}. */
    public float[] logits() { return logits; }

    /**
     * Runs the model over {@code n} rows. Row {@code r} feeds {@code tokens[r]} at position
     * {@code positions[r]} of the sequence in KV-cache slot {@code slots[r]}; rows of the same
     * sequence must be in increasing position order and positions before them already cached.
     * Logits are computed for the rows listed in {@code logitRows[0..nLogits)} and land in
     * {@link #logits()} in that order.
     */
    public void forward(int n, int[] slots, int[] tokens, int[] positions, int[] logitRows, int nLogits) {
        if (n <= 0 || n > maxRows) throw new IllegalArgumentException("rows " + n + " not in [1, " + maxRows + "]");
        if (nLogits < 0 || nLogits > Math.min(n, maxLogitRows)) {
            throw new IllegalArgumentException("logit rows " + nLogits + " not in [0, " + Math.min(n, maxLogitRows) + "]");
        }
        this.m = n;
        this.slots = slots;
        this.positions = positions;
        for (int r = 0; r < n; r++) {
            int tok = tokens[r];
            if (tok < 0 || tok >= vocab) throw new IllegalArgumentException("token id " + tok + " outside vocabulary of " + vocab);
            if (positions[r] < 0 || positions[r] >= cache.capacity(slots[r])) {
                throw new IllegalArgumentException("position " + positions[r] + " outside the slot's capacity " + cache.capacity(slots[r]));
            }
            w.tokenEmbedding.decodeRows(tok, 1, x, r * dim);
            rope.angles(positions[r], cos[r], sin[r]);
        }
        for (int l = 0; l < c.nLayers(); l++) layer(l);

        // Final norm only for the rows whose logits are wanted, packed into xb.
        for (int i = 0; i < nLogits; i++) {
            Kernels.rmsnorm(xb, i * dim, x, logitRows[i] * dim, w.finalNorm, dim, eps);
        }
        this.nLogits = nLogits;
        if (nLogits > 0) team.parallelFor(vocab, minRows(dim, nLogits), headTask);
    }

    /** Smallest chunk of output rows worth handing to another thread (about 32K multiply-adds). */
    private static int minRows(int in, int rows) {
        return Math.max(4, 32_768 / Math.max(1, in * rows));
    }

    // The parallel loop bodies are created once (a capturing lambda per call would allocate on
    // every step); they read the current layer and row count from these fields.
    private int layer, nLogits;

    private final ThreadTeam.RangeTask qkvTask = this::qkvRange;

    private void qkvRange(int r0, int r1, int wk) {
        int l = layer, n = m;
        int a = Math.max(r0, 0), b = Math.min(r1, dim);
        if (a < b) w.wq[l].matmul(q, dim, false, xb, n, a, b, scratch[wk]);
        a = Math.max(r0, dim) - dim;
        b = Math.min(r1, dim + kvDim) - dim;
        if (a < b) w.wk[l].matmul(k, kvDim, false, xb, n, a, b, scratch[wk]);
        a = Math.max(r0, dim + kvDim) - dim - kvDim;
        b = Math.min(r1, dim + 2 * kvDim) - dim - kvDim;
        if (a < b) w.wv[l].matmul(v, kvDim, false, xb, n, a, b, scratch[wk]);
    }

    private final ThreadTeam.RangeTask attentionTask = this::attentionRange;

    private void attentionRange(int t0, int t1, int worker) {
        float[] scores = att[worker];
        for (int t = t0; t < t1; t++) attend(layer, t / nHeads, t % nHeads, scores);
    }

    private final ThreadTeam.RangeTask woTask = this::woRange;

    private void woRange(int r0, int r1, int wk) {
        w.wo[layer].matmul(x, dim, true, xb2, m, r0, r1, scratch[wk]);
    }

    private final ThreadTeam.RangeTask gateUpTask = this::gateUpRange;

    private void gateUpRange(int r0, int r1, int wk) {
        int l = layer, n = m;
        int a = Math.max(r0, 0), b = Math.min(r1, hidden);
        if (a < b) w.w1[l].matmul(hb, hidden, false, xb, n, a, b, scratch[wk]);
        a = Math.max(r0, hidden) - hidden;
        b = Math.min(r1, 2 * hidden) - hidden;
        if (a < b) w.w3[l].matmul(hb2, hidden, false, xb, n, a, b, scratch[wk]);
    }

    private final ThreadTeam.RangeTask downTask = this::downRange;

    private void downRange(int r0, int r1, int wk) {
        w.w2[layer].matmul(x, dim, true, hb, m, r0, r1, scratch[wk]);
    }

    private final ThreadTeam.RangeTask headTask = this::headRange;

    private void headRange(int r0, int r1, int wk) {
        w.output.matmul(logits, vocab, false, xb, nLogits, r0, r1, scratch[wk]);
    }

    private void layer(int l) {
        final int n = m;
        layer = l;
        for (int r = 0; r < n; r++) Kernels.rmsnorm(xb, r * dim, x, r * dim, w.attnNorm[l], dim, eps);
        team.parallelFor(dim + 2 * kvDim, minRows(dim, n), qkvTask);

        for (int r = 0; r < n; r++) {
            if (c.qkvBias()) {
                Kernels.axpy(q, r * dim, 1f, w.bq[l], 0, dim);
                Kernels.axpy(k, r * kvDim, 1f, w.bk[l], 0, kvDim);
                Kernels.axpy(v, r * kvDim, 1f, w.bv[l], 0, kvDim);
            }
            if (w.rotateHalf) {
                Rope.rotateHalf(q, r * dim, dim, headSize, cos[r], sin[r]);
                Rope.rotateHalf(k, r * kvDim, kvDim, headSize, cos[r], sin[r]);
            } else {
                Rope.rotate(q, r * dim, dim, headSize, cos[r], sin[r]);
                Rope.rotate(k, r * kvDim, kvDim, headSize, cos[r], sin[r]);
            }
            float[] kc = cache.keys(slots[r], l), vc = cache.values(slots[r], l);
            int cap = cache.capacity(slots[r]), p = positions[r];
            for (int i = 0; i < kvDim; i++) {
                kc[i * cap + p] = k[r * kvDim + i];
                vc[i * cap + p] = v[r * kvDim + i];
            }
        }

        // Attention, one task per (row, head), into xb2. Worth splitting once contexts are long.
        int maxPos = 0;
        for (int r = 0; r < n; r++) maxPos = Math.max(maxPos, positions[r]);
        team.parallelFor(n * nHeads, Math.max(1, 16_384 / ((maxPos + 1) * 2 * headSize)), attentionTask);

        team.parallelFor(dim, minRows(dim, n), woTask);                 // x += wo * att
        for (int r = 0; r < n; r++) Kernels.rmsnorm(xb, r * dim, x, r * dim, w.ffnNorm[l], dim, eps);
        team.parallelFor(2 * hidden, minRows(dim, n), gateUpTask);       // w1 xb, w3 xb
        for (int r = 0; r < n; r++) Kernels.swiglu(hb, hb2, r * hidden, hidden);
        team.parallelFor(dim, minRows(hidden, n), downTask);             // x += w2 * swiglu
    }

    private void attend(int l, int r, int h, float[] scores) {
        int n = positions[r] + 1;
        int slot = slots[r], cap = cache.capacity(slot);
        float[] kc = cache.keys(slot, l), vc = cache.values(slot, l);
        int qOff = r * dim + h * headSize;
        int base = (h / kvMul) * headSize * cap;
        Kernels.attentionScores(scores, n, q, qOff, kc, base, cap, headSize, attScale);
        Kernels.softmax(scores, 0, n);
        for (int d = 0; d < headSize; d++) {
            xb2[qOff + d] = Kernels.dot(scores, 0, vc, base + d * cap, n);
        }
    }
}
