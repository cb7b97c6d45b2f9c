package dev.selftaught.engine.model;

import java.util.SplittableRandom;

/**
 * All parameters of a Llama-family model as plain float arrays, one array per tensor and layer.
 * Row-major {@code [out][in]} matrices, adjacent-pair rotary convention (see {@link LlamaConfig}).
 *
 * <p>This is the single in-memory form shared by inference, training and every checkpoint reader
 * and writer. Arrays are public and mutable on purpose: the trainer updates them in place.
 * When {@link LlamaConfig#tiedEmbeddings()} is true, {@link #output} is the same array object as
 * {@link #tokenEmbedding}.
 */
public final class LlamaWeights {
    public final LlamaConfig config;
    /** [vocab][dim] */
    public final float[] tokenEmbedding;
    /** per layer [dim] */
    public final float[][] attnNorm;
    /** per layer [dim][dim] */
    public final float[][] wq;
    /** per layer [kvDim][dim] */
    public final float[][] wk;
    /** per layer [kvDim][dim] */
    public final float[][] wv;
    /** per layer [dim][dim] */
    public final float[][] wo;
    /** per layer [dim], [kvDim], [kvDim]; null unless {@link LlamaConfig#qkvBias()} */
    public final float[][] bq, bk, bv;
    /** per layer [dim] */
    public final float[][] ffnNorm;
    /** per layer [hiddenDim][dim] (gate) */
    public final float[][] w1;
    /** per layer [dim][hiddenDim] (down) */
    public final float[][] w2;
    /** per layer [hiddenDim][dim] (up) */
    public final float[][] w3;
    /** [dim] */
    public final float[] finalNorm;
    /** [vocab][dim]; the same array as tokenEmbedding when tied */
    public final float[] output;

    /** Allocates zeroed weights (norm weights zero too: call {@link #initRandom} or fill them). */
    public LlamaWeights(LlamaConfig c) {
        this.config = c;
        int L = c.nLayers(), d = c.dim(), kv = c.kvDim(), h = c.hiddenDim();
        tokenEmbedding = new float[c.vocabSize() * d];
        attnNorm = new float[L][d];
        wq = new float[L][d * d];
        wk = new float[L][kv * d];
        wv = new float[L][kv * d];
        wo = new float[L][d * d];
        if (c.qkvBias()) {
            bq = new float[L][d];
            bk = new float[L][kv];
            bv = new float[L][kv];
        } else {
            bq = bk = bv = null;
        }
        ffnNorm = new float[L][d];
        w1 = new float[L][h * d];
        w2 = new float[L][d * h];
        w3 = new float[L][h * d];
        finalNorm = new float[d];
        output = c.tiedEmbeddings() ? tokenEmbedding : new float[c.vocabSize() * d];
    }

    /**
     * GPT-2 style initialisation: normal(0, 0.02) for matrices, output projections scaled by
     * 1/sqrt(2 * nLayers), norms at 1, biases at 0. Deterministic for a given seed.
     */
    public LlamaWeights initRandom(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float std = 0.02f;
        float projStd = (float) (0.02 / Math.sqrt(2.0 * config.nLayers()));
        gaussian(tokenEmbedding, std, rnd);
        for (int l = 0; l < config.nLayers(); l++) {
            java.util.Arrays.fill(attnNorm[l], 1f);
            java.util.Arrays.fill(ffnNorm[l], 1f);
            gaussian(wq[l], std, rnd);
            gaussian(wk[l], std, rnd);
            gaussian(wv[l], std, rnd);
            gaussian(wo[l], projStd, rnd);
            gaussian(w1[l], std, rnd);
            gaussian(w2[l], projStd, rnd);
            gaussian(w3[l], std, rnd);
        }
        java.util.Arrays.fill(finalNorm, 1f);
        if (output != tokenEmbedding) gaussian(output, std, rnd);
        return this;
    }

    private static void gaussian(float[] a, float std, SplittableRandom rnd) {
        for (int i = 0; i < a.length; i++) {
            // Box-Muller; SplittableRandom has no nextGaussian with a stable algorithm across JDKs.
            double u1 = rnd.nextDouble(), u2 = rnd.nextDouble();
            double z = Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2 * Math.PI * u2);
            a[i] = (float) (z * std);
        }
    }
}
