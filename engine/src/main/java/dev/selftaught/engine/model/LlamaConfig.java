package dev.selftaught.engine.model;

/**
 * Shape of a Llama-family decoder. One record for every source format (llama2.c header, GGUF
 * metadata, HF config.json), so the forward pass, the trainer and the writers agree on one thing.
 *
 * <p>Conventions shared by the whole engine:
 * <ul>
 *   <li>Matrices are row-major {@code [out][in]}: {@code y = W x}, as llama2.c and HF store them.</li>
 *   <li>Rotary embeddings rotate adjacent pairs {@code (2i, 2i+1)} of each head (llama2.c and GGUF
 *       convention). HF checkpoints use the "rotate half" convention; their readers and writers
 *       permute the rows of {@code wq}/{@code wk} so that the in-memory layout is always this one.</li>
 * </ul>
 *
 * @param dim            model width (embedding size)
 * @param hiddenDim      SwiGLU inner width
 * @param nLayers        number of transformer blocks
 * @param nHeads         query heads
 * @param nKvHeads       key/value heads (grouped-query attention when smaller than nHeads)
 * @param vocabSize      tokenizer vocabulary size
 * @param maxSeqLen      longest context the model supports
 * @param normEps        RMSNorm epsilon
 * @param ropeTheta      rotary base frequency
 * @param ropeScaling    Llama-3 frequency scaling, or null when not configured
 * @param tiedEmbeddings whether the output head shares the token embedding matrix
 * @param qkvBias        whether q/k/v projections carry a bias (the Qwen2 variant)
 */
public record LlamaConfig(
        int dim,
        int hiddenDim,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int vocabSize,
        int maxSeqLen,
        float normEps,
        float ropeTheta,
        RopeScaling ropeScaling,
        boolean tiedEmbeddings,
        boolean qkvBias) {

    /** Llama-3.1 style rope frequency scaling ({@code rope_scaling.rope_type == "llama3"}). */
    public record RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalMaxPositionEmbeddings) {}

    public LlamaConfig {
        if (dim <= 0 || hiddenDim <= 0 || nLayers <= 0 || nHeads <= 0 || nKvHeads <= 0 || vocabSize <= 0 || maxSeqLen <= 0) {
            throw new IllegalArgumentException("model dimensions must be positive: " + describe(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, maxSeqLen));
        }
        if (dim % nHeads != 0) {
            throw new IllegalArgumentException("dim " + dim + " is not divisible by n_heads " + nHeads);
        }
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException("n_heads " + nHeads + " is not divisible by n_kv_heads " + nKvHeads);
        }
        if ((dim / nHeads) % 2 != 0) {
            throw new IllegalArgumentException("head size " + (dim / nHeads) + " must be even for rotary embeddings");
        }
    }

    private static String describe(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize, int maxSeqLen) {
        return "dim=" + dim + " hidden_dim=" + hiddenDim + " n_layers=" + nLayers + " n_heads=" + nHeads
                + " n_kv_heads=" + nKvHeads + " vocab_size=" + vocabSize + " max_seq_len=" + maxSeqLen;
    }

    public int headSize() { return dim / nHeads; }

    /** Width of the key/value projections. */
    public int kvDim() { return nKvHeads * headSize(); }

    /** Number of query heads that share one key/value head. */
    public int kvMul() { return nHeads / nKvHeads; }

    /** Total number of trainable parameters (the output head counted once when tied). */
    public long parameterCount() {
        long perLayer = 2L * dim                          // attention and ffn norms
                + (long) dim * dim * 2                     // wq, wo
                + (long) dim * kvDim() * 2                 // wk, wv
                + (long) dim * hiddenDim * 3               // w1, w2, w3
                + (qkvBias ? dim + 2L * kvDim() : 0);
        long total = (long) vocabSize * dim + perLayer * nLayers + dim;
        if (!tiedEmbeddings) total += (long) vocabSize * dim;
        return total;
    }

    /** A small configuration with the usual Llama defaults, handy for tests and the micro-world. */
    public static LlamaConfig small(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize, int maxSeqLen) {
        return new LlamaConfig(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, maxSeqLen, 1e-5f, 10000f, null, true, false);
    }
}
