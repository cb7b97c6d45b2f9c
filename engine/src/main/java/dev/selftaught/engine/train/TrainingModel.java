package dev.selftaught.engine.train;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Forward pass that keeps its activations, and the backward pass through every op, for a batch
 * of token rows (llm.c style: each op's backward sits next to its forward below).
 *
 * <p>Gradients accumulate (+=) into {@link #grads} (a {@link LlamaWeights}-shaped buffer) when the
 * base is trained, and into {@link #loraGrads} when an adapter is trained; in LoRA mode the base
 * receives no gradient at all. Results are bitwise reproducible: each output element is computed
 * by one task in a fixed order (see {@link Gemm}), and cross-row sums run sequentially.
 */
public final class TrainingModel {
    public final LlamaConfig c;
    public final LlamaWeights weights;
    /** Gradient of the base weights, or null when the base is frozen (LoRA). */
    public final LlamaWeights grads;
    public final LoraAdapter lora;
    public final LoraAdapter loraGrads;
    private final Workers workers;
    private final Rope rope;
    private final int d, kv, hid, hs, H, KVH, V, Lyr;

    private static final int ATT_CHUNK = 64;
    private static final int CE_ROWS = 128;

    // activations, sized for `cap` tokens and `attCap` attention entries
    private int cap = 0;
    private long attCap = 0;
    private float[][] resid, mid, xn1, xn2, q, k, v, ao, g, u, hact, rstd1, rstd2;
    private float[][] att;
    private float[] xf, rstdf;
    private float[][][] loraX, loraAx; // [target][layer] dropout input, scaled A·x
    // gradient scratch
    private float[] dres, dxn, dq, dk, dv, dao, dh, dg, du, dxf, tmp, tmpH, dlora;
    private float[] wT, logits, xc, dxc;
    private int[] ceRows;
    private double[] rowLoss;
    private final ThreadLocal<float[][]> attScratch = new ThreadLocal<>();

    private int B, T, N;
    private TokenBatch batch;
    private long dropoutSeed;
    private boolean training;

    /**
     * @param weights the model (updated in place by the optimizer)
     * @param trainBase whether gradients of the base weights are computed
     * @param lora adapter to train on top of the frozen base, or null
     */
    public TrainingModel(LlamaWeights weights, boolean trainBase, LoraAdapter lora, Workers workers) {
        this.c = weights.config;
        this.weights = weights;
        this.grads = trainBase ? new LlamaWeights(c) : null;
        this.lora = lora;
        this.loraGrads = lora == null ? null : LoraAdapter.zerosLike(lora);
        this.workers = workers;
        this.rope = new Rope(c);
        d = c.dim(); kv = c.kvDim(); hid = c.hiddenDim(); hs = c.headSize(); H = c.nHeads(); KVH = c.nKvHeads();
        V = c.vocabSize(); Lyr = c.nLayers();
        int maxW = Math.max(Math.max(d * d, hid * d), V * d);
        wT = new float[maxW];
        logits = new float[CE_ROWS * V];
    }

    private void ensure(int B, int T) {
        int n = B * T;
        long a = (long) B * H * T * T;
        if (n > cap) {
            cap = n;
            resid = new float[Lyr + 1][n * d];
            mid = alloc(n * d); xn1 = alloc(n * d); xn2 = alloc(n * d); q = alloc(n * d); ao = alloc(n * d);
            k = alloc(n * kv); v = alloc(n * kv);
            g = alloc(n * hid); u = alloc(n * hid); hact = alloc(n * hid);
            rstd1 = alloc(n); rstd2 = alloc(n);
            xf = new float[n * d]; rstdf = new float[n];
            dres = new float[n * d]; dxn = new float[n * d]; dq = new float[n * d]; dao = new float[n * d];
            dxf = new float[n * d]; tmp = new float[n * Math.max(d, hid)];
            dk = new float[n * kv]; dv = new float[n * kv];
            dh = new float[n * hid]; dg = new float[n * hid]; du = new float[n * hid]; tmpH = new float[n * hid];
            xc = new float[Math.min(n, CE_ROWS) * d]; dxc = new float[Math.min(n, CE_ROWS) * d];
            ceRows = new int[n];
            rowLoss = new double[n];
            if (lora != null) {
                int nt = LoraConfig.Target.values().length, r = lora.config.rank();
                loraX = new float[nt][][];
                loraAx = new float[nt][][];
                for (LoraConfig.Target t : LoraConfig.Target.values()) {
                    if (!lora.has(t)) continue;
                    loraAx[t.ordinal()] = alloc(n * r);
                    if (lora.config.dropout() > 0) loraX[t.ordinal()] = alloc(n * LoraAdapter.inDim(c, t));
                }
                dlora = new float[n * Math.max(r, Math.max(d, hid))];
            }
        }
        if (a > attCap) {
            if (a > Integer.MAX_VALUE) throw new IllegalArgumentException("batch " + B + "x" + T + " too large for the attention buffer");
            attCap = a;
            att = alloc((int) a);
        }
    }

    private float[][] alloc(int n) { return new float[Lyr][n]; }

    /** Sum of token losses (nats) of a batch, without gradients and without dropout. */
    public double loss(TokenBatch b) {
        forward(b, 0f, false, 0L);
        return lastLoss;
    }

    /**
     * Forward and backward on one micro-batch: gradients of {@code lossScale · Σ token losses} are
     * added to the gradient buffers. Returns the unscaled sum of token losses.
     */
    public double forwardBackward(TokenBatch b, float lossScale, long dropoutSeed) {
        forward(b, lossScale, true, dropoutSeed);
        backward();
        return lastLoss;
    }

    private double lastLoss;

    /**
     * Forward and backward for an objective that sums a function of each target token's
     * log-probability, {@code L = Σ_n f_n(log p_n)} (policy-gradient losses: GRPO, DPO): the
     * gradient of L is accumulated, through {@code dL/dlogits_n = f_n'(log p_n)·(onehot − softmax)},
     * with f_n' evaluated on this very forward pass. Returns log p_n per position (NaN where the
     * target is ignored).
     */
    public double[] forwardBackward(TokenBatch b, TokenObjective objective, long dropoutSeed) {
        this.objective = objective;
        try {
            forward(b, 0f, true, dropoutSeed);
        } finally {
            this.objective = null;
        }
        backward();
        return targetLogProbs();
    }

    /** log p of every position's target token (NaN where ignored), without gradients or dropout. */
    public double[] targetLogProbs(TokenBatch b) {
        forward(b, 0f, false, 0L);
        return targetLogProbs();
    }

    private double[] targetLogProbs() {
        double[] out = new double[N];
        Arrays.fill(out, Double.NaN);
        for (int i = 0; i < lastRows; i++) out[ceRows[i]] = -rowLoss[i];
        return out;
    }

    private TokenObjective objective;
    private int lastRows;

    // ------------------------------------------------------------------ forward

    private void forward(TokenBatch b, float lossScale, boolean train, long seed) {
        this.batch = b;
        this.B = b.batch();
        this.T = b.seqLen();
        this.N = B * T;
        this.training = train;
        this.dropoutSeed = seed;
        ensure(B, T);
        // embedding
        float[] x0 = resid[0];
        for (int n = 0; n < N; n++) {
            int tok = b.tokens()[n];
            if (tok < 0 || tok >= V) throw new IllegalArgumentException("token id " + tok + " outside vocabulary of " + V);
            System.arraycopy(weights.tokenEmbedding, tok * d, x0, n * d, d);
        }
        for (int l = 0; l < Lyr; l++) {
            float[] x = resid[l];
            rmsnormForward(x, weights.attnNorm[l], xn1[l], rstd1[l]);
            linearForward(xn1[l], q[l], weights.wq[l], c.qkvBias() ? weights.bq[l] : null, d, d, LoraConfig.Target.Q, l);
            linearForward(xn1[l], k[l], weights.wk[l], c.qkvBias() ? weights.bk[l] : null, d, kv, LoraConfig.Target.K, l);
            linearForward(xn1[l], v[l], weights.wv[l], c.qkvBias() ? weights.bv[l] : null, d, kv, LoraConfig.Target.V, l);
            ropeApply(q[l], d, 1);
            ropeApply(k[l], kv, 1);
            attentionForward(l);
            linearForward(ao[l], tmp, weights.wo[l], null, d, d, LoraConfig.Target.O, l);
            add(x, tmp, mid[l], N * d);
            rmsnormForward(mid[l], weights.ffnNorm[l], xn2[l], rstd2[l]);
            linearForward(xn2[l], g[l], weights.w1[l], null, d, hid, LoraConfig.Target.GATE, l);
            linearForward(xn2[l], u[l], weights.w3[l], null, d, hid, LoraConfig.Target.UP, l);
            swigluForward(g[l], u[l], hact[l]);
            linearForward(hact[l], tmp, weights.w2[l], null, hid, d, LoraConfig.Target.DOWN, l);
            add(mid[l], tmp, resid[l + 1], N * d);
        }
        rmsnormForward(resid[Lyr], weights.finalNorm, xf, rstdf);
        classifierAndLoss(lossScale, train);
    }

    private void backward() {
        // dxf was filled by the fused classifier; dres starts as the final norm's input gradient
        Arrays.fill(dres, 0, N * d, 0f);
        rmsnormBackward(dxf, resid[Lyr], weights.finalNorm, rstdf, dres, grads == null ? null : grads.finalNorm);
        for (int l = Lyr - 1; l >= 0; l--) {
            // resid[l+1] = mid + down(swiglu(gate(xn2), up(xn2))), xn2 = norm(mid)
            linearBackward(dres, hact[l], dh, false, weights.w2[l], grads == null ? null : grads.w2[l], null, hid, d, LoraConfig.Target.DOWN, l);
            swigluBackward(dh, g[l], u[l], dg, du);
            linearBackward(dg, xn2[l], dxn, false, weights.w1[l], grads == null ? null : grads.w1[l], null, d, hid, LoraConfig.Target.GATE, l);
            linearBackward(du, xn2[l], dxn, true, weights.w3[l], grads == null ? null : grads.w3[l], null, d, hid, LoraConfig.Target.UP, l);
            rmsnormBackward(dxn, mid[l], weights.ffnNorm[l], rstd2[l], dres, grads == null ? null : grads.ffnNorm[l]);
            // mid = x + o(attention(rope(q(xn1)), rope(k(xn1)), v(xn1))), xn1 = norm(x)
            linearBackward(dres, ao[l], dao, false, weights.wo[l], grads == null ? null : grads.wo[l], null, d, d, LoraConfig.Target.O, l);
            attentionBackward(l);
            ropeApply(dq, d, -1);
            ropeApply(dk, kv, -1);
            boolean bias = c.qkvBias() && grads != null;
            linearBackward(dq, xn1[l], dxn, false, weights.wq[l], grads == null ? null : grads.wq[l], bias ? grads.bq[l] : null, d, d, LoraConfig.Target.Q, l);
            linearBackward(dk, xn1[l], dxn, true, weights.wk[l], grads == null ? null : grads.wk[l], bias ? grads.bk[l] : null, d, kv, LoraConfig.Target.K, l);
            linearBackward(dv, xn1[l], dxn, true, weights.wv[l], grads == null ? null : grads.wv[l], bias ? grads.bv[l] : null, d, kv, LoraConfig.Target.V, l);
            rmsnormBackward(dxn, resid[l], weights.attnNorm[l], rstd1[l], dres, grads == null ? null : grads.attnNorm[l]);
        }
        if (grads != null) {
            // embedding backward: sequential over rows so repeated tokens sum in a fixed order
            int[] toks = batch.tokens();
            for (int n = 0; n < N; n++) Gemm.axpy(1f, dres, n * d, grads.tokenEmbedding, toks[n] * d, d);
        }
    }

    private static void add(float[] a, float[] b, float[] out, int n) {
        for (int i = 0; i < n; i++) out[i] = a[i] + b[i];
    }

    // ------------------------------------------------------------------ RMSNorm

    /** y = x / sqrt(mean(x²) + eps) · w, per row; keeps 1/rms for the backward pass. */
    private void rmsnormForward(float[] x, float[] w, float[] y, float[] rstd) {
        float eps = c.normEps();
        workers.forRange(N, 16, (from, to) -> {
            for (int n = from; n < to; n++) {
                int o = n * d;
                float ss = 0f;
                for (int i = 0; i < d; i++) ss += x[o + i] * x[o + i];
                float r = (float) (1.0 / Math.sqrt(ss / d + eps));
                rstd[n] = r;
                for (int i = 0; i < d; i++) y[o + i] = x[o + i] * r * w[i];
            }
        });
    }

    /**
     * dx += r·(w⊙dy) − x·r³·mean(w⊙dy⊙x); dw += Σ_rows dy⊙x·r.
     */
    private void rmsnormBackward(float[] dy, float[] x, float[] w, float[] rstd, float[] dx, float[] dw) {
        workers.forRange(N, 16, (from, to) -> {
            for (int n = from; n < to; n++) {
                int o = n * d;
                float r = rstd[n];
                float dot = 0f;
                for (int i = 0; i < d; i++) dot += w[i] * dy[o + i] * x[o + i];
                float coef = r * r * r * dot / d;
                for (int i = 0; i < d; i++) dx[o + i] += r * w[i] * dy[o + i] - x[o + i] * coef;
            }
        });
        if (dw != null) {
            workers.forRange(d, 16, (from, to) -> {
                for (int i = from; i < to; i++) {
                    float s = 0f;
                    for (int n = 0; n < N; n++) s += dy[n * d + i] * x[n * d + i] * rstd[n];
                    dw[i] += s;
                }
            });
        }
    }

    // ------------------------------------------------------------------ RoPE

    private void ropeApply(float[] x, int width, int sign) {
        workers.forRange(N, 16, (from, to) -> rope.apply(x, width, batch.positions(), from, to, sign));
    }

    // ------------------------------------------------------------------ linear (+ LoRA)

    /** out[N][o] = in[N][i] · Wᵀ (+ bias) (+ scale · (drop(in)·Aᵀ)·Bᵀ). */
    private void linearForward(float[] in, float[] out, float[] w, float[] bias, int inDim, int outDim, LoraConfig.Target t, int l) {
        Gemm.transpose(workers, w, 0, outDim, inDim, wT, 0);
        Gemm.nn(workers, in, wT, out, N, outDim, inDim, false);
        if (bias != null) {
            workers.forRange(N, 16, (from, to) -> {
                for (int n = from; n < to; n++) for (int j = 0; j < outDim; j++) out[n * outDim + j] += bias[j];
            });
        }
        if (lora != null && lora.has(t)) {
            int r = lora.config.rank();
            float[] a = lora.a[t.ordinal()][l], bm = lora.b[t.ordinal()][l];
            float[] xin = in;
            float p = lora.config.dropout();
            if (training && p > 0) {
                xin = loraX[t.ordinal()][l];
                dropout(in, xin, N * inDim, p, dropoutSeed(t, l));
            }
            float[] ax = loraAx[t.ordinal()][l];
            Gemm.transpose(null, a, 0, r, inDim, wT, 0);
            Gemm.nn(workers, xin, wT, ax, N, r, inDim, false);
            float s = lora.config.scale();
            for (int i = 0; i < N * r; i++) ax[i] *= s;
            Gemm.transpose(null, bm, 0, outDim, r, wT, 0);
            Gemm.nn(workers, ax, wT, out, N, outDim, r, true);
        }
    }

    /**
     * din (+)= dout · W; dW += doutᵀ · in; dbias += Σ_rows dout; adapter gradients when present.
     */
    private void linearBackward(float[] dout, float[] in, float[] din, boolean accumulate, float[] w, float[] dw, float[] dbias,
                                int inDim, int outDim, LoraConfig.Target t, int l) {
        Gemm.nn(workers, dout, w, din, N, inDim, outDim, accumulate);
        if (dw != null) Gemm.mul(workers, dout, 0, 1, outDim, in, 0, inDim, dw, 0, inDim, outDim, inDim, N, true);
        if (dbias != null) {
            for (int n = 0; n < N; n++) for (int j = 0; j < outDim; j++) dbias[j] += dout[n * outDim + j];
        }
        if (lora != null && lora.has(t)) {
            int r = lora.config.rank();
            float s = lora.config.scale();
            float[] a = lora.a[t.ordinal()][l], bm = lora.b[t.ordinal()][l];
            float[] ga = loraGrads.a[t.ordinal()][l], gb = loraGrads.b[t.ordinal()][l];
            float[] ax = loraAx[t.ordinal()][l];
            float p = lora.config.dropout();
            float[] xin = p > 0 ? loraX[t.ordinal()][l] : in;
            // out += ax·Bᵀ with ax = s·(xin·Aᵀ)
            Gemm.mul(workers, dout, 0, 1, outDim, ax, 0, r, gb, 0, r, outDim, r, N, true);
            float[] dax = dlora;
            Gemm.nn(workers, dout, bm, dax, N, r, outDim, false);
            for (int i = 0; i < N * r; i++) dax[i] *= s;
            Gemm.mul(workers, dax, 0, 1, r, xin, 0, inDim, ga, 0, inDim, r, inDim, N, true);
            if (p > 0) {
                float[] dxin = tmpH;
                Gemm.nn(workers, dax, a, dxin, N, inDim, r, false);
                // regenerate the same mask as the forward pass
                SplittableRandom rnd = new SplittableRandom(dropoutSeed(t, l));
                float keep = 1f / (1f - p);
                for (int i = 0; i < N * inDim; i++) if (rnd.nextDouble() >= p) din[i] += dxin[i] * keep;
            } else {
                Gemm.nn(workers, dax, a, din, N, inDim, r, true);
            }
        }
    }

    private long dropoutSeed(LoraConfig.Target t, int l) {
        return dropoutSeed * 0x9E3779B97F4A7C15L + (l * 16L + t.ordinal()) * 0xBF58476D1CE4E5B9L;
    }

    private static void dropout(float[] x, float[] out, int n, float p, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float keep = 1f / (1f - p);
        for (int i = 0; i < n; i++) out[i] = rnd.nextDouble() >= p ? x[i] * keep : 0f;
    }

    // ------------------------------------------------------------------ SwiGLU

    /** h = silu(g) · u, silu(g) = g·σ(g). */
    private void swigluForward(float[] gg, float[] uu, float[] h) {
        workers.forRange(N, 16, (from, to) -> {
            for (int i = from * hid; i < to * hid; i++) {
                float x = gg[i];
                float sig = (float) (1.0 / (1.0 + Math.exp(-x)));
                h[i] = x * sig * uu[i];
            }
        });
    }

    /** du = dh·silu(g); dg = dh·u·σ(g)·(1 + g·(1−σ(g))). */
    private void swigluBackward(float[] dhh, float[] gg, float[] uu, float[] dgg, float[] duu) {
        workers.forRange(N, 16, (from, to) -> {
            for (int i = from * hid; i < to * hid; i++) {
                float x = gg[i];
                float sig = (float) (1.0 / (1.0 + Math.exp(-x)));
                duu[i] = dhh[i] * x * sig;
                dgg[i] = dhh[i] * uu[i] * sig * (1f + x * (1f - sig));
            }
        });
    }

    // ------------------------------------------------------------------ attention

    private float[][] scratch() {
        float[][] s = attScratch.get();
        if (s == null || s[0].length < hs * T || s[2].length < T * T) {
            s = new float[][] {new float[hs * T], new float[hs * T], new float[T * T]};
            attScratch.set(s);
        }
        return s;
    }

    /** Transposes the [T][hs] slice of one kv head of row b into dst [hs][T]. */
    private void headT(float[] src, int b, int kvh, float[] dst) {
        for (int t = 0; t < T; t++) {
            int o = (b * T + t) * kv + kvh * hs;
            for (int i = 0; i < hs; i++) dst[i * T + t] = src[o + i];
        }
    }

    /**
     * Causal softmax attention with grouped KV heads, masked to the token's own segment:
     * P = softmax(Q·Kᵀ/√hs), out = P·V. P is kept per layer for the backward pass. Rows are
     * processed in chunks so no work is spent on keys after the chunk's last query.
     */
    private void attentionForward(int l) {
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] ql = q[l], kl = k[l], vl = v[l], al = att[l], out = ao[l];
        int[] seg = batch.segments();
        int group = H / KVH;
        workers.forRange(B * KVH, 1, (from, to) -> {
            float[][] s = scratch();
            float[] kT = s[0];
            for (int task = from; task < to; task++) {
                int b = task / KVH, kvh = task % KVH;
                headT(kl, b, kvh, kT);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    int base = (b * H + h) * T * T;
                    for (int r0 = 0; r0 < T; r0 += ATT_CHUNK) {
                        int r1 = Math.min(T, r0 + ATT_CHUNK);
                        Gemm.mul(null, ql, (b * T + r0) * d + h * hs, d, 1, kT, 0, T, al, base + r0 * T, T, r1 - r0, r1, hs, false);
                        for (int t = r0; t < r1; t++) {
                            int row = base + t * T;
                            int st = seg[b * T + t];
                            float max = Float.NEGATIVE_INFINITY;
                            for (int t2 = 0; t2 <= t; t2++) {
                                if (seg[b * T + t2] != st) continue;
                                float sc = al[row + t2] * scale;
                                al[row + t2] = sc;
                                if (sc > max) max = sc;
                            }
                            float sum = 0f;
                            for (int t2 = 0; t2 <= t; t2++) {
                                if (seg[b * T + t2] != st) { al[row + t2] = 0f; continue; }
                                float e = (float) Math.exp(al[row + t2] - max);
                                al[row + t2] = e;
                                sum += e;
                            }
                            float inv = 1f / sum;
                            for (int t2 = 0; t2 <= t; t2++) al[row + t2] *= inv;
                            Arrays.fill(al, row + t + 1, row + T, 0f);
                        }
                        Gemm.mul(null, al, base + r0 * T, T, 1, vl, b * T * kv + kvh * hs, kv, out, (b * T + r0) * d + h * hs, d, r1 - r0, hs, r1, false);
                    }
                }
            }
        });
    }

    /**
     * dP = dO·Vᵀ; dS = P⊙(dP − rowsum(P⊙dP))/√hs; dQ = dS·K; dK += dSᵀ·Q; dV += Pᵀ·dO. Each task
     * owns one (row, kv head) pair, so the query heads sharing it add their dK, dV in a fixed order.
     */
    private void attentionBackward(int l) {
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] ql = q[l], kl = k[l], vl = v[l], al = att[l];
        int group = H / KVH;
        workers.forRange(B * KVH, 1, (from, to) -> {
            float[][] s = scratch();
            float[] vT = s[1], ds = s[2];
            for (int task = from; task < to; task++) {
                int b = task / KVH, kvh = task % KVH;
                for (int t = 0; t < T; t++) {
                    int o = (b * T + t) * kv + kvh * hs;
                    Arrays.fill(dk, o, o + hs, 0f);
                    Arrays.fill(dv, o, o + hs, 0f);
                }
                headT(vl, b, kvh, vT);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    int base = (b * H + h) * T * T;
                    for (int r0 = 0; r0 < T; r0 += ATT_CHUNK) {
                        int r1 = Math.min(T, r0 + ATT_CHUNK);
                        Gemm.mul(null, dao, (b * T + r0) * d + h * hs, d, 1, vT, 0, T, ds, r0 * T, T, r1 - r0, r1, hs, false);
                        for (int t = r0; t < r1; t++) {
                            int prow = base + t * T, drow = t * T;
                            float dot = 0f;
                            for (int t2 = 0; t2 <= t; t2++) dot += al[prow + t2] * ds[drow + t2];
                            for (int t2 = 0; t2 <= t; t2++) ds[drow + t2] = al[prow + t2] * (ds[drow + t2] - dot) * scale;
                            Arrays.fill(ds, drow + t + 1, drow + T, 0f);
                        }
                    }
                    for (int r0 = 0; r0 < T; r0 += ATT_CHUNK) {
                        int r1 = Math.min(T, r0 + ATT_CHUNK);
                        // dQ rows [r0,r1): keys up to r1
                        Gemm.mul(null, ds, r0 * T, T, 1, kl, b * T * kv + kvh * hs, kv, dq, (b * T + r0) * d + h * hs, d, r1 - r0, hs, r1, false);
                        // dK, dV rows [r0,r1): queries from r0 on
                        Gemm.mul(null, ds, r0 * T + r0, 1, T, ql, (b * T + r0) * d + h * hs, d, dk, (b * T + r0) * kv + kvh * hs, kv, r1 - r0, hs, T - r0, true);
                        Gemm.mul(null, al, base + r0 * T + r0, 1, T, dao, (b * T + r0) * d + h * hs, d, dv, (b * T + r0) * kv + kvh * hs, kv, r1 - r0, hs, T - r0, true);
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------ classifier + cross-entropy

    /**
     * Logits, softmax cross-entropy and (when training) the classifier backward, fused and chunked
     * over rows that carry a target, so the [N][vocab] logits never exist at once and rows without
     * a target cost nothing. Fills {@link #dxf} and the output-matrix gradient.
     */
    private void classifierAndLoss(float lossScale, boolean train) {
        int[] targets = batch.targets();
        int m = 0;
        for (int n = 0; n < N; n++) if (targets[n] != TokenBatch.IGNORE) ceRows[m++] = n;
        if (train) Arrays.fill(dxf, 0, N * d, 0f);
        Gemm.transpose(workers, weights.output, 0, V, d, wT, 0);
        double total = 0;
        for (int c0 = 0; c0 < m; c0 += CE_ROWS) {
            int rows = Math.min(CE_ROWS, m - c0);
            int base = c0;
            for (int r = 0; r < rows; r++) System.arraycopy(xf, ceRows[base + r] * d, xc, r * d, d);
            Gemm.nn(workers, xc, wT, logits, rows, V, d, false);
            workers.forRange(rows, 1, (from, to) -> {
                for (int r = from; r < to; r++) {
                    int o = r * V;
                    int tgt = targets[ceRows[base + r]];
                    if (tgt < 0 || tgt >= V) throw new IllegalArgumentException("target id " + tgt + " outside vocabulary of " + V);
                    float max = VecMath.max(logits, o, V);
                    float zt = logits[o + tgt] - max;
                    float sum = VecMath.expShiftSum(logits, o, V, max);
                    rowLoss[base + r] = Math.log(sum) - zt;
                    if (train) {
                        // d(scale·CE)/dlogits = scale·(softmax − onehot); an objective f(log p) has scale = −f'(log p)
                        float sc = objective == null ? lossScale : (float) -objective.gradient(ceRows[base + r], -rowLoss[base + r]);
                        VecMath.scale(logits, o, V, sc / sum);
                        logits[o + tgt] -= sc;
                    }
                }
            });
            for (int r = 0; r < rows; r++) total += rowLoss[base + r];
            if (train) {
                Gemm.nn(workers, logits, weights.output, dxc, rows, d, V, false);
                for (int r = 0; r < rows; r++) System.arraycopy(dxc, r * d, dxf, ceRows[base + r] * d, d);
                if (grads != null) Gemm.mul(workers, logits, 0, 1, V, xc, 0, d, grads.output, 0, d, V, d, rows, true);
            }
        }
        lastLoss = total;
        lastRows = m;
    }
}
