package dev.selftaught.engine.format.gguf;

import dev.selftaught.engine.format.Checkpoint;
import dev.selftaught.engine.format.MappedCheckpoint;
import dev.selftaught.engine.kernel.MappedMatrix;
import dev.selftaught.engine.kernel.Matrix;
import dev.selftaught.engine.model.ModelWeights;
import dev.selftaught.engine.format.ModelFormatException;
import dev.selftaught.engine.format.RopeLayout;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.tokenizer.PreTokenizers;
import dev.selftaught.engine.tokenizer.TokenType;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.engine.tokenizer.Tokenizers;
import dev.selftaught.engine.tokenizer.Vocabulary;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Llama-family models in GGUF: reads {@code llama} and {@code qwen2} architectures (weights
 * dequantized to floats, config from metadata, tokenizer from {@code tokenizer.ggml.*}) and writes
 * F32/F16 files that llama.cpp loads.
 *
 * <p>Tensor names: {@code token_embd.weight}, {@code blk.N.attn_norm.weight},
 * {@code blk.N.attn_q|attn_k|attn_v|attn_output.weight}, {@code blk.N.attn_q|k|v.bias} (qwen2),
 * {@code blk.N.ffn_norm.weight}, {@code blk.N.ffn_gate|ffn_down|ffn_up.weight},
 * {@code output_norm.weight}, {@code output.weight} (absent when tied), {@code rope_freqs.weight}
 * (Llama-3 frequency divisors). llama tensors use the adjacent-pair rotary layout; qwen2 (NEOX
 * rope in llama.cpp) uses rotate-half for q/k and is permuted on read and write.
 */
public final class GgufCheckpoint {
    private GgufCheckpoint() {}

    public static Checkpoint read(Path path) throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            return read(f);
        }
    }

    /** The model's shape and tokenizer from the metadata, checked against the tensor directory. */
    private static Header header(GgufFile f) {
        Path path = f.path();
        String arch = f.getString("general.architecture");
        if (arch == null) throw ModelFormatException.in(path, "metadata 'general.architecture' is missing");
        boolean neox = switch (arch) {
            case "llama" -> false;
            case "qwen2" -> true;
            default -> throw ModelFormatException.in(path, "unsupported architecture '" + arch + "' (supported: llama, qwen2)");
        };
        Vocabulary vocab = readVocabulary(f);
        GgufFile.TensorInfo embd = require(f, "token_embd.weight");
        int dim = intKey(f, arch + ".embedding_length", -1);
        // The model's vocabulary is the embedding's row count; a tokenizer may list fewer tokens.
        int vocabSize = (int) embd.dims()[embd.dims().length - 1];
        if (vocab != null && vocab.size() > vocabSize) {
            throw ModelFormatException.in(path, "tokenizer has " + vocab.size() + " tokens but token_embd.weight only " + vocabSize + " rows");
        }
        int heads = intKey(f, arch + ".attention.head_count", -1);
        String scalingType = f.getString(arch + ".rope.scaling.type");
        if (scalingType != null && !scalingType.equals("none")) {
            throw ModelFormatException.in(path, "rope scaling type '" + scalingType + "' is not supported (only none and Llama-3 rope_freqs)");
        }
        GgufFile.TensorInfo ropeFreqs = f.tensor("rope_freqs.weight");
        float theta = (float) f.getDouble(arch + ".rope.freq_base", 10000.0);
        LlamaConfig provisional;
        try {
            provisional = new LlamaConfig(dim, intKey(f, arch + ".feed_forward_length", -1), intKey(f, arch + ".block_count", -1),
                    heads, intKey(f, arch + ".attention.head_count_kv", heads), vocabSize,
                    intKey(f, arch + ".context_length", 2048),
                    (float) f.getDouble(arch + ".attention.layer_norm_rms_epsilon", neox ? 1e-6 : 1e-5), theta,
                    null, f.tensor("output.weight") == null, neox || f.tensor("blk.0.attn_q.bias") != null);
        } catch (IllegalArgumentException e) {
            throw ModelFormatException.in(path, "inconsistent model metadata: " + e.getMessage());
        }
        int rotDims = intKey(f, arch + ".rope.dimension_count", provisional.headSize());
        if (rotDims != provisional.headSize()) {
            throw ModelFormatException.in(path, arch + ".rope.dimension_count = " + rotDims + " but head size is " + provisional.headSize() + " (partial rotary embeddings are not supported)");
        }
        LlamaConfig.RopeScaling scaling = null;
        if (ropeFreqs != null) {
            float[] divisors = f.readFloats(checkShape(f, ropeFreqs, provisional.headSize() / 2));
            scaling = f.get(SCALING_KEY + "factor") != null
                    ? new LlamaConfig.RopeScaling((float) f.getDouble(SCALING_KEY + "factor", 8), (float) f.getDouble(SCALING_KEY + "low_freq_factor", 1),
                            (float) f.getDouble(SCALING_KEY + "high_freq_factor", 4), (int) f.getLong(SCALING_KEY + "original_context_length", 8192))
                    : inferLlama3Scaling(path, divisors, theta, provisional.headSize());
        }
        LlamaConfig c = new LlamaConfig(provisional.dim(), provisional.hiddenDim(), provisional.nLayers(), provisional.nHeads(),
                provisional.nKvHeads(), provisional.vocabSize(), provisional.maxSeqLen(), provisional.normEps(), theta, scaling,
                provisional.tiedEmbeddings(), provisional.qkvBias());

        return new Header(c, neox, vocab);
    }

    private record Header(LlamaConfig config, boolean neox, Vocabulary vocab) {}

    public static Checkpoint read(GgufFile f) {
        Header hd = header(f);
        return new Checkpoint(hd.config, floatWeights(f, hd.config, hd.neox), tokenizer(f, hd.vocab), f.getString("tokenizer.chat_template"));
    }

    /**
     * Opens a GGUF model with its matrices left in the file, in their stored encoding (memory-mapped,
     * not read): loading costs the metadata and the small norm vectors only, and resident memory
     * grows by the file's pages as the forward pass touches them. Norms and biases are copied as
     * floats; {@link ModelWeights#floats()} decodes everything for the trainer.
     */
    public static MappedCheckpoint map(Path path) throws IOException {
        GgufFile f = GgufFile.openMapped(path);
        Header hd = header(f);
        LlamaConfig c = hd.config;
        int L = c.nLayers(), d = c.dim(), kv = c.kvDim(), h = c.hiddenDim();
        Matrix emb = matrix(f, require(f, "token_embd.weight"), c.vocabSize(), d);
        Matrix out = c.tiedEmbeddings() ? emb : matrix(f, require(f, "output.weight"), c.vocabSize(), d);
        Matrix[] wq = new Matrix[L], wk = new Matrix[L], wv = new Matrix[L], wo = new Matrix[L];
        Matrix[] w1 = new Matrix[L], w2 = new Matrix[L], w3 = new Matrix[L];
        float[][] attnNorm = new float[L][], ffnNorm = new float[L][];
        float[][] bq = c.qkvBias() ? new float[L][] : null, bk = c.qkvBias() ? new float[L][] : null, bv = c.qkvBias() ? new float[L][] : null;
        for (int l = 0; l < L; l++) {
            String p = "blk." + l + ".";
            attnNorm[l] = load(f, require(f, p + "attn_norm.weight"), d);
            wq[l] = matrix(f, require(f, p + "attn_q.weight"), d, d);
            wk[l] = matrix(f, require(f, p + "attn_k.weight"), kv, d);
            wv[l] = matrix(f, require(f, p + "attn_v.weight"), kv, d);
            wo[l] = matrix(f, require(f, p + "attn_output.weight"), d, d);
            if (c.qkvBias()) {
                bq[l] = load(f, require(f, p + "attn_q.bias"), d);
                bk[l] = load(f, require(f, p + "attn_k.bias"), kv);
                bv[l] = load(f, require(f, p + "attn_v.bias"), kv);
            }
            ffnNorm[l] = load(f, require(f, p + "ffn_norm.weight"), d);
            w1[l] = matrix(f, require(f, p + "ffn_gate.weight"), h, d);
            w2[l] = matrix(f, require(f, p + "ffn_down.weight"), d, h);
            w3[l] = matrix(f, require(f, p + "ffn_up.weight"), h, d);
        }
        float[] finalNorm = load(f, require(f, "output_norm.weight"), d);
        ModelWeights w = new ModelWeights(c, emb, out, wq, wk, wv, wo, w1, w2, w3, attnNorm, ffnNorm, bq, bk, bv, finalNorm,
                hd.neox, () -> floatWeights(f, c, hd.neox));
        return new MappedCheckpoint(c, w, tokenizer(f, hd.vocab), f.getString("tokenizer.chat_template"));
    }

    /** A tensor as a {@code rows x cols} matrix over the mapped file (GGUF dims are innermost first). */
    private static Matrix matrix(GgufFile f, GgufFile.TensorInfo t, int rows, int cols) {
        checkShape(f, t, cols, rows);
        MemorySegment data = f.data(t);
        try {
            return MappedMatrix.of(t.type().name(), data, rows, cols);
        } catch (IllegalArgumentException e) {
            throw ModelFormatException.at(f.path(), t.dataOffset(), "tensor '" + t.name() + "': " + e.getMessage());
        }
    }

    private static Tokenizer tokenizer(GgufFile f, Vocabulary vocab) {
        try {
            return vocab == null ? null : Tokenizers.fromVocabulary(vocab);
        } catch (IllegalArgumentException e) {   // includes an invalid split regex
            throw ModelFormatException.in(f.path(), "unusable tokenizer: " + e.getMessage());
        }
    }

    /** All weights decoded to floats in the adjacent-pair rotary layout (qwen2's rotate-half rows permuted). */
    private static LlamaWeights floatWeights(GgufFile f, LlamaConfig c, boolean neox) {
        GgufFile.TensorInfo embd = require(f, "token_embd.weight");
        LlamaWeights w = new LlamaWeights(c);
        int d = c.dim(), kv = c.kvDim(), h = c.hiddenDim(), hs = c.headSize();
        copy(f, embd, w.tokenEmbedding, d, c.vocabSize());
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blk." + l + ".";
            copy(f, require(f, p + "attn_norm.weight"), w.attnNorm[l], d);
            float[] q = load(f, require(f, p + "attn_q.weight"), d, d);
            float[] k = load(f, require(f, p + "attn_k.weight"), d, kv);
            System.arraycopy(neox ? RopeLayout.fromRotateHalf(q, c.nHeads(), hs, d) : q, 0, w.wq[l], 0, q.length);
            System.arraycopy(neox ? RopeLayout.fromRotateHalf(k, c.nKvHeads(), hs, d) : k, 0, w.wk[l], 0, k.length);
            copy(f, require(f, p + "attn_v.weight"), w.wv[l], d, kv);
            copy(f, require(f, p + "attn_output.weight"), w.wo[l], d, d);
            if (c.qkvBias()) {
                float[] bq = load(f, require(f, p + "attn_q.bias"), d);
                float[] bk = load(f, require(f, p + "attn_k.bias"), kv);
                System.arraycopy(neox ? RopeLayout.fromRotateHalf(bq, c.nHeads(), hs, 1) : bq, 0, w.bq[l], 0, d);
                System.arraycopy(neox ? RopeLayout.fromRotateHalf(bk, c.nKvHeads(), hs, 1) : bk, 0, w.bk[l], 0, kv);
                copy(f, require(f, p + "attn_v.bias"), w.bv[l], kv);
            }
            copy(f, require(f, p + "ffn_norm.weight"), w.ffnNorm[l], d);
            copy(f, require(f, p + "ffn_gate.weight"), w.w1[l], d, h);
            copy(f, require(f, p + "ffn_down.weight"), w.w2[l], h, d);
            copy(f, require(f, p + "ffn_up.weight"), w.w3[l], d, h);
        }
        copy(f, require(f, "output_norm.weight"), w.finalNorm, d);
        if (!c.tiedEmbeddings()) copy(f, require(f, "output.weight"), w.output, d, c.vocabSize());
        return w;
    }

    private static int intKey(GgufFile f, String key, int dflt) {
        long v = f.getLong(key, Long.MIN_VALUE);
        if (v == Long.MIN_VALUE) {
            if (dflt >= 0) return dflt;
            throw ModelFormatException.in(f.path(), "metadata '" + key + "' is missing");
        }
        if (v <= 0 || v > Integer.MAX_VALUE) throw ModelFormatException.in(f.path(), "metadata '" + key + "' = " + v + " is out of range");
        return (int) v;
    }

    private static GgufFile.TensorInfo require(GgufFile f, String name) {
        GgufFile.TensorInfo t = f.tensor(name);
        if (t == null) throw ModelFormatException.in(f.path(), "tensor '" + name + "' is missing");
        return t;
    }

    /** Checks dims (innermost first) against the config, naming the tensor when they differ. */
    private static GgufFile.TensorInfo checkShape(GgufFile f, GgufFile.TensorInfo t, long... expected) {
        if (!Arrays.equals(t.dims(), expected)) {
            throw ModelFormatException.at(f.path(), t.dataOffset(), "tensor '" + t.name() + "' has shape " + t.shape()
                    + " but the model metadata implies " + Arrays.toString(expected));
        }
        return t;
    }

    private static float[] load(GgufFile f, GgufFile.TensorInfo t, long... dims) {
        return f.readFloats(checkShape(f, t, dims));
    }

    private static void copy(GgufFile f, GgufFile.TensorInfo t, float[] dst, long... dims) {
        float[] v = load(f, t, dims);
        System.arraycopy(v, 0, dst, 0, v.length);
    }

    /**
     * Our writer also records the Llama-3 parameters under these keys (llama.cpp ignores them and
     * uses rope_freqs.weight), so that they read back exactly.
     */
    static final String SCALING_KEY = "selftaught.rope_scaling.llama3.";

    /**
     * GGUF stores Llama-3 rope scaling only as the per-frequency divisors; recover the parameters
     * (factor = the largest divisor, the Llama-3.1 defaults for the rest) and refuse when they do
     * not reproduce the stored divisors.
     */
    public static LlamaConfig.RopeScaling inferLlama3Scaling(Path path, float[] divisors, float theta, int headSize) {
        float factor = 1;
        for (float x : divisors) factor = Math.max(factor, x);
        boolean allOne = true;
        for (float x : divisors) allOne &= x == 1f;
        if (allOne) return null;
        for (int orig = 16; orig <= (1 << 20); orig *= 2) {
            for (float[] lh : new float[][] {{1, 4}, {1, 2}, {2, 4}}) {
                LlamaConfig.RopeScaling s = new LlamaConfig.RopeScaling(factor, lh[0], lh[1], orig);
                float[] again = RopeLayout.llama3FrequencyDivisors(s, theta, headSize);
                boolean same = true;
                for (int i = 0; i < again.length; i++) same &= Math.abs(again[i] - divisors[i]) <= 1e-3f * Math.abs(divisors[i]);
                if (same) return s;
            }
        }
        throw ModelFormatException.in(path, "tensor 'rope_freqs.weight' does not match Llama-3 rope scaling with factor " + factor);
    }

    // ------------------------------------------------------------------ tokenizer

    static Vocabulary readVocabulary(GgufFile f) {
        String model = f.getString("tokenizer.ggml.model");
        if (model == null || model.equals("none")) return null;
        String[] tokens = f.getStrings("tokenizer.ggml.tokens");
        if (tokens == null) throw ModelFormatException.in(f.path(), "metadata 'tokenizer.ggml.tokens' is missing (tokenizer model '" + model + "')");
        int n = tokens.length;
        float[] scores = f.getFloats("tokenizer.ggml.scores");
        int[] types = f.getInts("tokenizer.ggml.token_type");
        if (scores != null && scores.length != n) throw ModelFormatException.in(f.path(), "tokenizer.ggml.scores has " + scores.length + " entries for " + n + " tokens");
        if (types != null && types.length != n) throw ModelFormatException.in(f.path(), "tokenizer.ggml.token_type has " + types.length + " entries for " + n + " tokens");
        int bos = tokenId(f, "tokenizer.ggml.bos_token_id", n), eos = tokenId(f, "tokenizer.ggml.eos_token_id", n);
        int unk = tokenId(f, "tokenizer.ggml.unknown_token_id", n), pad = tokenId(f, "tokenizer.ggml.padding_token_id", n);
        List<Integer> stops = new ArrayList<>();
        int eot = tokenId(f, "tokenizer.ggml.eot_token_id", n);
        if (eot >= 0 && eot != eos) stops.add(eot);
        int[] stopIds = stops.stream().mapToInt(Integer::intValue).toArray();
        return switch (model) {
            case "llama" -> new Vocabulary(Vocabulary.Kind.SENTENCEPIECE, List.of(tokens), scores, types, List.of(),
                    bos, eos, unk, pad, null, f.getBool("tokenizer.ggml.add_bos_token", true),
                    f.getBool("tokenizer.ggml.add_space_prefix", true), stopIds);
            case "gpt2" -> {
                String[] merges = f.getStrings("tokenizer.ggml.merges");
                if (merges == null) throw ModelFormatException.in(f.path(), "metadata 'tokenizer.ggml.merges' is missing (tokenizer model 'gpt2')");
                String pre = f.getString("tokenizer.ggml.pre");
                yield new Vocabulary(Vocabulary.Kind.BYTE_LEVEL_BPE, List.of(tokens), scores, types, List.of(merges),
                        bos, eos, unk, pad, PreTokenizers.forGgufName(pre), f.getBool("tokenizer.ggml.add_bos_token", false), false,
                        withNamedStops(stopIds, tokens, types, eos));
            }
            default -> throw ModelFormatException.in(f.path(), "unsupported tokenizer model '" + model + "' (supported: llama, gpt2)");
        };
    }

    /** Chat models mark end of turn with a control token llama.cpp may not list as eot: add the well-known ones. */
    private static int[] withNamedStops(int[] stops, String[] tokens, int[] types, int eos) {
        List<Integer> out = new ArrayList<>();
        for (int s : stops) out.add(s);
        for (int i = 0; i < tokens.length; i++) {
            if (types != null && types[i] != TokenType.CONTROL && types[i] != TokenType.USER_DEFINED) continue;
            if (i != eos && PreTokenizers.isEndOfTurn(tokens[i]) && !out.contains(i)) out.add(i);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int tokenId(GgufFile f, String key, int n) {
        long v = f.getLong(key, -1);
        if (v < -1 || v >= n) throw ModelFormatException.in(f.path(), "metadata '" + key + "' = " + v + " is outside the vocabulary of " + n + " tokens");
        return (int) v;
    }

    // ------------------------------------------------------------------ writer

    /** Precision of the matrices in a written file (norms and biases are always F32). */
    public enum Precision { F32, F16 }

    /**
     * Writes a llama (or, with q/k/v biases, qwen2) GGUF v3 file with all metadata llama.cpp needs.
     *
     * @param tokenizer    must expose its {@link Tokenizer#vocabulary()}; null writes no tokenizer
     * @param chatTemplate Jinja source or null
     */
    /** A writer holding the metadata llama.cpp needs for a model of this shape ({@code fileType}: 0 F32, 1 F16, 2 Q4_0, 7 Q8_0, 15 Q4_K_M). */
    private static GgufWriter header(LlamaConfig c, Tokenizer tokenizer, String chatTemplate, int fileType, String name) {
        boolean neox = c.qkvBias();
        String arch = neox ? "qwen2" : "llama";
        GgufWriter g = new GgufWriter();
        g.put("general.architecture", GgufValue.string(arch));
        g.put("general.name", GgufValue.string(name == null ? "selftaught" : name));
        g.alignment(GgufFile.DEFAULT_ALIGNMENT);
        g.put("general.file_type", GgufValue.u32(fileType));
        g.put(arch + ".context_length", GgufValue.u32(c.maxSeqLen()));
        g.put(arch + ".embedding_length", GgufValue.u32(c.dim()));
        g.put(arch + ".block_count", GgufValue.u32(c.nLayers()));
        g.put(arch + ".feed_forward_length", GgufValue.u32(c.hiddenDim()));
        g.put(arch + ".rope.dimension_count", GgufValue.u32(c.headSize()));
        g.put(arch + ".attention.head_count", GgufValue.u32(c.nHeads()));
        g.put(arch + ".attention.head_count_kv", GgufValue.u32(c.nKvHeads()));
        g.put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.f32(c.normEps()));
        g.put(arch + ".rope.freq_base", GgufValue.f32(c.ropeTheta()));
        g.put(arch + ".vocab_size", GgufValue.u32(c.vocabSize()));
        if (tokenizer != null) {
            Vocabulary v = dev.selftaught.engine.format.Vocabularies.of(tokenizer);
            if (v.size() > c.vocabSize()) throw new IllegalArgumentException("tokenizer has " + v.size() + " tokens, model only " + c.vocabSize());
            putVocabulary(g, padded(v, c.vocabSize()));
        }
        if (chatTemplate != null) g.put("tokenizer.chat_template", GgufValue.string(chatTemplate));
        return g;
    }

    public static void write(Path file, LlamaWeights w, Tokenizer tokenizer, String chatTemplate, Precision precision, String name) throws IOException {
        write(file, w, tokenizer, chatTemplate, precision == Precision.F32 ? GgmlType.F32 : GgmlType.F16, name);
    }

    /** llama.cpp's general.file_type for a file whose matrices are all {@code t}. */
    static int fileType(GgmlType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case Q4_K -> 15;
            case Q6_K -> 18;
            case BF16 -> 32;
        };
    }

    /**
     * Writes with every matrix (embedding and head included) encoded as {@code mt} (F32, F16,
     * BF16, Q8_0, Q4_0, Q4_K; the matrices' rows must be whole blocks).
     */
    public static void write(Path file, LlamaWeights w, Tokenizer tokenizer, String chatTemplate, GgmlType mt, String name) throws IOException {
        LlamaConfig c = w.config;
        boolean neox = c.qkvBias();
        GgufWriter g = header(c, tokenizer, chatTemplate, fileType(mt), name);
        int d = c.dim(), kv = c.kvDim(), h = c.hiddenDim(), hs = c.headSize();
        g.tensor("token_embd.weight", mt, w.tokenEmbedding, d, c.vocabSize());
        if (c.ropeScaling() != null) {
            g.tensor("rope_freqs.weight", GgmlType.F32, RopeLayout.llama3FrequencyDivisors(c.ropeScaling(), c.ropeTheta(), hs), hs / 2);
            g.put(SCALING_KEY + "factor", GgufValue.f32(c.ropeScaling().factor()));
            g.put(SCALING_KEY + "low_freq_factor", GgufValue.f32(c.ropeScaling().lowFreqFactor()));
            g.put(SCALING_KEY + "high_freq_factor", GgufValue.f32(c.ropeScaling().highFreqFactor()));
            g.put(SCALING_KEY + "original_context_length", GgufValue.u32(c.ropeScaling().originalMaxPositionEmbeddings()));
        }
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blk." + l + ".";
            g.tensor(p + "attn_norm.weight", GgmlType.F32, w.attnNorm[l], d);
            g.tensor(p + "attn_q.weight", mt, neox ? RopeLayout.toRotateHalf(w.wq[l], c.nHeads(), hs, d) : w.wq[l], d, d);
            g.tensor(p + "attn_k.weight", mt, neox ? RopeLayout.toRotateHalf(w.wk[l], c.nKvHeads(), hs, d) : w.wk[l], d, kv);
            g.tensor(p + "attn_v.weight", mt, w.wv[l], d, kv);
            if (c.qkvBias()) {
                g.tensor(p + "attn_q.bias", GgmlType.F32, RopeLayout.toRotateHalf(w.bq[l], c.nHeads(), hs, 1), d);
                g.tensor(p + "attn_k.bias", GgmlType.F32, RopeLayout.toRotateHalf(w.bk[l], c.nKvHeads(), hs, 1), kv);
                g.tensor(p + "attn_v.bias", GgmlType.F32, w.bv[l], kv);
            }
            g.tensor(p + "attn_output.weight", mt, w.wo[l], d, d);
            g.tensor(p + "ffn_norm.weight", GgmlType.F32, w.ffnNorm[l], d);
            g.tensor(p + "ffn_gate.weight", mt, w.w1[l], d, h);
            g.tensor(p + "ffn_down.weight", mt, w.w2[l], h, d);
            g.tensor(p + "ffn_up.weight", mt, w.w3[l], d, h);
        }
        g.tensor("output_norm.weight", GgmlType.F32, w.finalNorm, d);
        if (!c.tiedEmbeddings()) g.tensor("output.weight", mt, w.output, d, c.vocabSize());
        g.write(file);
    }

    /**
     * Writes a llama-architecture model of shape {@code c} with random weights, every matrix encoded
     * as {@code mt}, for benchmarks at real sizes: each tensor is generated, encoded and written in
     * turn (never the whole model in memory). Weights are normal(0, 0.02), the output projections
     * of attention and FFN scaled by 1/sqrt(2 * layers), norms 1: logits then spread by about
     * 0.02 * sqrt(dim) (~0.9 at dim 2048), so greedy decoding follows the input instead of
     * repeating one token. Each tensor's values depend only on the seed and the tensor's name.
     */
    public static void writeRandom(Path file, LlamaConfig c, Tokenizer tokenizer, GgmlType mt, long seed, String name) throws IOException {
        if (c.qkvBias() || c.ropeScaling() != null) throw new IllegalArgumentException("random models are plain llama (no biases, no rope scaling)");
        GgufWriter g = header(c, tokenizer, null, fileType(mt), name);
        int d = c.dim(), kv = c.kvDim(), h = c.hiddenDim();
        float std = 0.02f, projStd = (float) (0.02 / Math.sqrt(2.0 * c.nLayers()));
        g.tensor("token_embd.weight", mt, () -> gaussian(seed, "token_embd.weight", (long) d * c.vocabSize(), std), d, c.vocabSize());
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blk." + l + ".";
            g.tensor(p + "attn_norm.weight", GgmlType.F32, ones(d), d);
            g.tensor(p + "attn_q.weight", mt, () -> gaussian(seed, p + "attn_q.weight", (long) d * d, std), d, d);
            g.tensor(p + "attn_k.weight", mt, () -> gaussian(seed, p + "attn_k.weight", (long) d * kv, std), d, kv);
            g.tensor(p + "attn_v.weight", mt, () -> gaussian(seed, p + "attn_v.weight", (long) d * kv, std), d, kv);
            g.tensor(p + "attn_output.weight", mt, () -> gaussian(seed, p + "attn_output.weight", (long) d * d, projStd), d, d);
            g.tensor(p + "ffn_norm.weight", GgmlType.F32, ones(d), d);
            g.tensor(p + "ffn_gate.weight", mt, () -> gaussian(seed, p + "ffn_gate.weight", (long) d * h, std), d, h);
            g.tensor(p + "ffn_down.weight", mt, () -> gaussian(seed, p + "ffn_down.weight", (long) h * d, projStd), h, d);
            g.tensor(p + "ffn_up.weight", mt, () -> gaussian(seed, p + "ffn_up.weight", (long) d * h, std), d, h);
        }
        g.tensor("output_norm.weight", GgmlType.F32, ones(d), d);
        if (!c.tiedEmbeddings()) g.tensor("output.weight", mt, () -> gaussian(seed, "output.weight", (long) d * c.vocabSize(), std), d, c.vocabSize());
        g.write(file);
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }

    /** {@code n} normal(0, std) values, generated in parallel chunks seeded by (seed, name, chunk). */
    private static float[] gaussian(long seed, String name, long n, float std) {
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor " + name + " of " + n + " values is too large");
        float[] a = new float[(int) n];
        int chunk = 1 << 16;
        long base = seed * 0x9E3779B97F4A7C15L ^ name.hashCode();
        java.util.stream.IntStream.range(0, (int) ((n + chunk - 1) / chunk)).parallel().forEach(k -> {
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(base + 0x632BE59BD9B4E019L * k);
            int end = (int) Math.min(n, (long) (k + 1) * chunk);
            for (int i = k * chunk; i < end; i++) {
                double u1 = rnd.nextDouble(), u2 = rnd.nextDouble();
                a[i] = (float) (Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2 * Math.PI * u2) * std);
            }
        });
        return a;
    }

    /**
     * llama.cpp takes the vocabulary size from the token list, which must match the embedding rows:
     * a shorter tokenizer (e.g. Qwen2's, padded embeddings) gets unused "[PADi]" tokens, as
     * llama.cpp's own converter does.
     */
    static Vocabulary padded(Vocabulary v, int size) {
        if (v.size() == size) return v;
        List<String> tokens = new ArrayList<>(v.tokens());
        float[] scores = Arrays.copyOf(v.scores(), size);
        int[] types = Arrays.copyOf(v.types(), size);
        for (int i = v.size(); i < size; i++) {
            tokens.add("[PAD" + i + "]");
            types[i] = TokenType.UNUSED;
        }
        return new Vocabulary(v.kind(), tokens, scores, types, v.merges(), v.bos(), v.eos(), v.unk(), v.pad(), v.preTokenizer(),
                v.addBos(), v.addSpacePrefix(), v.stopIds());
    }

    static void putVocabulary(GgufWriter g, Vocabulary v) {
        boolean sp = v.kind() == Vocabulary.Kind.SENTENCEPIECE;
        g.put("tokenizer.ggml.model", GgufValue.string(sp ? "llama" : "gpt2"));
        if (!sp) g.put("tokenizer.ggml.pre", GgufValue.string(PreTokenizers.ggufName(v.preTokenizer())));
        g.put("tokenizer.ggml.tokens", GgufValue.strings(v.tokens().toArray(String[]::new)));
        g.put("tokenizer.ggml.scores", GgufValue.floats(v.scores()));
        g.put("tokenizer.ggml.token_type", GgufValue.ints(v.types()));
        if (!sp) g.put("tokenizer.ggml.merges", GgufValue.strings(v.merges().toArray(String[]::new)));
        if (v.bos() >= 0) g.put("tokenizer.ggml.bos_token_id", GgufValue.u32(v.bos()));
        if (v.eos() >= 0) g.put("tokenizer.ggml.eos_token_id", GgufValue.u32(v.eos()));
        if (v.unk() >= 0) g.put("tokenizer.ggml.unknown_token_id", GgufValue.u32(v.unk()));
        if (v.pad() >= 0) g.put("tokenizer.ggml.padding_token_id", GgufValue.u32(v.pad()));
        for (int s : v.stopIds()) {
            if (s != v.eos()) { g.put("tokenizer.ggml.eot_token_id", GgufValue.u32(s)); break; }
        }
        g.put("tokenizer.ggml.add_bos_token", GgufValue.bool(v.addBos()));
        g.put("tokenizer.ggml.add_eos_token", GgufValue.bool(false));
        if (sp) g.put("tokenizer.ggml.add_space_prefix", GgufValue.bool(v.addSpacePrefix()));
    }
}
