package dev.selftaught.engine.model;

import dev.selftaught.engine.kernel.ArrayMatrix;
import dev.selftaught.engine.kernel.Matrix;
import java.util.function.Supplier;

/**
 * The weights the forward pass reads: every matrix through {@link Matrix} (so in whatever encoding
 * it is stored, e.g. Q4_0 over a memory-mapped GGUF file), norms and biases as small float arrays.
 *
 * <p>Built either over a {@link LlamaWeights} (the arrays are shared, not copied: the trainer
 * updates them and inference sees it) or by a checkpoint reader over its mapped file. The float
 * form the trainer needs is made on request by {@link #floats()}.
 *
 * @param rotateHalf q/k rows are in the rotate-half rotary layout (HF and GGUF qwen2 store them so;
 *                   the mapped weights are not permuted), else in the adjacent-pair layout
 */
public final class ModelWeights {
    public final LlamaConfig config;
    public final Matrix tokenEmbedding, output;
    public final Matrix[] wq, wk, wv, wo, w1, w2, w3;
    public final float[][] attnNorm, ffnNorm;
    /** null unless {@link LlamaConfig#qkvBias()}; in the same rotary layout as wq/wk */
    public final float[][] bq, bk, bv;
    public final float[] finalNorm;
    public final boolean rotateHalf;
    private final Supplier<LlamaWeights> toFloats;
    private LlamaWeights floats;

    public ModelWeights(LlamaConfig config, Matrix tokenEmbedding, Matrix output, Matrix[] wq, Matrix[] wk, Matrix[] wv,
                        Matrix[] wo, Matrix[] w1, Matrix[] w2, Matrix[] w3, float[][] attnNorm, float[][] ffnNorm,
                        float[][] bq, float[][] bk, float[][] bv, float[] finalNorm, boolean rotateHalf,
                        Supplier<LlamaWeights> toFloats) {
        this.config = config;
        this.tokenEmbedding = check(tokenEmbedding, config.vocabSize(), config.dim(), "token embedding");
        this.output = check(output, config.vocabSize(), config.dim(), "output");
        int L = config.nLayers(), d = config.dim(), kv = config.kvDim(), h = config.hiddenDim();
        for (int l = 0; l < L; l++) {
            check(wq[l], d, d, "wq");
            check(wk[l], kv, d, "wk");
            check(wv[l], kv, d, "wv");
            check(wo[l], d, d, "wo");
            check(w1[l], h, d, "w1");
            check(w2[l], d, h, "w2");
            check(w3[l], h, d, "w3");
        }
        this.wq = wq; this.wk = wk; this.wv = wv; this.wo = wo; this.w1 = w1; this.w2 = w2; this.w3 = w3;
        this.attnNorm = attnNorm; this.ffnNorm = ffnNorm; this.bq = bq; this.bk = bk; this.bv = bv;
        this.finalNorm = finalNorm;
        this.rotateHalf = rotateHalf;
        this.toFloats = toFloats;
    }

    private static Matrix check(Matrix m, int rows, int cols, String what) {
        if (m.rows() != rows || m.cols() != cols) {
            throw new IllegalArgumentException(what + " is " + m.rows() + "x" + m.cols() + ", the config implies " + rows + "x" + cols);
        }
        return m;
    }

    /** Views float weights (no copy); {@link #floats()} returns {@code w} itself. */
    public static ModelWeights of(LlamaWeights w) {
        LlamaConfig c = w.config;
        int L = c.nLayers(), d = c.dim(), kv = c.kvDim(), h = c.hiddenDim();
        Matrix emb = new ArrayMatrix(w.tokenEmbedding, c.vocabSize(), d);
        Matrix out = w.output == w.tokenEmbedding ? emb : new ArrayMatrix(w.output, c.vocabSize(), d);
        Matrix[] wq = new Matrix[L], wk = new Matrix[L], wv = new Matrix[L], wo = new Matrix[L];
        Matrix[] w1 = new Matrix[L], w2 = new Matrix[L], w3 = new Matrix[L];
        for (int l = 0; l < L; l++) {
            wq[l] = new ArrayMatrix(w.wq[l], d, d);
            wk[l] = new ArrayMatrix(w.wk[l], kv, d);
            wv[l] = new ArrayMatrix(w.wv[l], kv, d);
            wo[l] = new ArrayMatrix(w.wo[l], d, d);
            w1[l] = new ArrayMatrix(w.w1[l], h, d);
            w2[l] = new ArrayMatrix(w.w2[l], d, h);
            w3[l] = new ArrayMatrix(w.w3[l], h, d);
        }
        return new ModelWeights(c, emb, out, wq, wk, wv, wo, w1, w2, w3, w.attnNorm, w.ffnNorm, w.bq, w.bk, w.bv,
                w.finalNorm, false, () -> w);
    }

    /**
     * The weights as float arrays in the adjacent-pair layout, for the trainer and the writers.
     * Over float weights this is the same object; over a mapped file it is decoded once (about
     * 4 bytes per parameter on the heap) and kept.
     */
    public synchronized LlamaWeights floats() {
        if (floats == null) floats = toFloats.get();
        return floats;
    }

    /** Bytes of all matrices in their storage encoding (the tied embedding counted once). */
    public long matrixBytes() {
        long n = tokenEmbedding.byteSize() + (output == tokenEmbedding ? 0 : output.byteSize());
        for (int l = 0; l < config.nLayers(); l++) {
            n += wq[l].byteSize() + wk[l].byteSize() + wv[l].byteSize() + wo[l].byteSize()
                    + w1[l].byteSize() + w2[l].byteSize() + w3[l].byteSize();
        }
        return n;
    }

    /** The encodings of the layer matrices, e.g. "Q4_0" or "Q4_K+Q6_K" (for benchmark reports). */
    public String encodings() {
        java.util.TreeSet<String> s = new java.util.TreeSet<>();
        for (int l = 0; l < config.nLayers(); l++) {
            for (Matrix m : new Matrix[] {wq[l], wk[l], wv[l], wo[l], w1[l], w2[l], w3[l]}) s.add(m.encoding());
        }
        return String.join("+", s);
    }
}
