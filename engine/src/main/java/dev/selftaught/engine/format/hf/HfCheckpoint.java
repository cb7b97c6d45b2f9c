package dev.selftaught.engine.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.engine.format.AtomicFiles;
import dev.selftaught.engine.format.Checkpoint;
import dev.selftaught.engine.format.ModelFormatException;
import dev.selftaught.engine.format.RopeLayout;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.format.hf.SentencePieceModelFile;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.engine.tokenizer.Vocabulary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * An HF model directory: {@code config.json}, {@code model.safetensors} (or shards listed in
 * {@code model.safetensors.index.json}), {@code tokenizer.json} + {@code tokenizer_config.json}
 * (or a SentencePiece {@code tokenizer.model}), optional {@code generation_config.json}.
 *
 * <p>HF stores q/k projections in the rotate-half rotary layout; they (and Qwen2's q/k biases)
 * are permuted to the engine's adjacent-pair layout on read and back on write.
 */
public final class HfCheckpoint {
    private HfCheckpoint() {}

    /** Whether a directory looks like an HF checkpoint. */
    public static boolean isHfDirectory(Path dir) {
        return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve("config.json"))
                && (Files.isRegularFile(dir.resolve("model.safetensors")) || Files.isRegularFile(dir.resolve("model.safetensors.index.json")));
    }

    public static Checkpoint read(Path dir) throws IOException {
        Path cfgFile = dir.resolve("config.json");
        if (!Files.isRegularFile(cfgFile)) throw ModelFormatException.in(dir, "no config.json: not an HF model directory");
        HfConfig.Parsed parsed = HfConfig.read(cfgFile);
        LlamaConfig c = parsed.config();
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> where = openShards(dir, files);
            LlamaWeights w = new LlamaWeights(c);
            int d = c.dim(), kv = c.kvDim(), h = c.hiddenDim(), hs = c.headSize();
            copy(where, "model.embed_tokens.weight", w.tokenEmbedding, c.vocabSize(), d);
            for (int l = 0; l < c.nLayers(); l++) {
                String p = "model.layers." + l + ".";
                copy(where, p + "input_layernorm.weight", w.attnNorm[l], d);
                put(RopeLayout.fromRotateHalf(load(where, p + "self_attn.q_proj.weight", d, d), c.nHeads(), hs, d), w.wq[l]);
                put(RopeLayout.fromRotateHalf(load(where, p + "self_attn.k_proj.weight", kv, d), c.nKvHeads(), hs, d), w.wk[l]);
                copy(where, p + "self_attn.v_proj.weight", w.wv[l], kv, d);
                copy(where, p + "self_attn.o_proj.weight", w.wo[l], d, d);
                if (c.qkvBias()) {
                    put(RopeLayout.fromRotateHalf(load(where, p + "self_attn.q_proj.bias", d), c.nHeads(), hs, 1), w.bq[l]);
                    put(RopeLayout.fromRotateHalf(load(where, p + "self_attn.k_proj.bias", kv), c.nKvHeads(), hs, 1), w.bk[l]);
                    copy(where, p + "self_attn.v_proj.bias", w.bv[l], kv);
                }
                copy(where, p + "post_attention_layernorm.weight", w.ffnNorm[l], d);
                copy(where, p + "mlp.gate_proj.weight", w.w1[l], h, d);
                copy(where, p + "mlp.down_proj.weight", w.w2[l], d, h);
                copy(where, p + "mlp.up_proj.weight", w.w3[l], h, d);
            }
            copy(where, "model.norm.weight", w.finalNorm, d);
            if (!c.tiedEmbeddings()) copy(where, "lm_head.weight", w.output, c.vocabSize(), d);

            int[] eos = parsed.eos();
            Path gen = dir.resolve("generation_config.json");
            if (Files.isRegularFile(gen)) {
                LinkedHashSet<Integer> all = new LinkedHashSet<>();
                for (int e : eos) all.add(e);
                for (int e : HfConfig.ids(HfConfig.readJson(gen).get("eos_token_id"))) all.add(e);
                eos = all.stream().mapToInt(Integer::intValue).toArray();
            }
            Tokenizer tok = null;
            String template = null;
            Path tj = dir.resolve("tokenizer.json"), tc = dir.resolve("tokenizer_config.json");
            if (Files.isRegularFile(tj)) {
                TokenizerJson.Loaded t = TokenizerJson.read(tj, tc, eos);
                tok = t.tokenizer();
                template = t.chatTemplate();
            } else if (Files.isRegularFile(dir.resolve("tokenizer.model"))) {
                tok = SentencePieceModelFile.read(dir.resolve("tokenizer.model"));
                if (Files.isRegularFile(tc)) template = TokenizerJson.chatTemplate(HfConfig.readJson(tc));
            }
            if (tok != null && tok.vocabSize() > c.vocabSize()) {
                throw ModelFormatException.in(dir, "the tokenizer has " + tok.vocabSize() + " tokens but config.json vocab_size is " + c.vocabSize());
            }
            Path jinja = dir.resolve("chat_template.jinja");
            if (template == null && Files.isRegularFile(jinja)) template = Files.readString(jinja);
            return new Checkpoint(c, w, tok, template);
        } finally {
            for (SafetensorsFile f : files) f.close();
        }
    }

    private static Map<String, SafetensorsFile> openShards(Path dir, List<SafetensorsFile> opened) throws IOException {
        Map<String, SafetensorsFile> where = new HashMap<>();
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            JsonNode map = HfConfig.readJson(index).path("weight_map");
            if (!map.isObject()) throw ModelFormatException.in(index, "no weight_map object");
            Map<String, SafetensorsFile> byFile = new HashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String shard = e.getValue().asText();
                if (shard.contains("/") || shard.contains("\\")) throw ModelFormatException.in(index, "shard name '" + shard + "' must be a file in the same directory");
                SafetensorsFile f = byFile.get(shard);
                if (f == null) {
                    Path sp = dir.resolve(shard);
                    if (!Files.isRegularFile(sp)) throw ModelFormatException.in(index, "tensor '" + e.getKey() + "' is in shard '" + shard + "', which does not exist");
                    f = SafetensorsFile.open(sp);
                    opened.add(f);
                    byFile.put(shard, f);
                }
                if (!f.tensors().containsKey(e.getKey())) throw ModelFormatException.in(f.path(), "tensor '" + e.getKey() + "' listed in the index is not in this shard");
                where.put(e.getKey(), f);
            }
        } else {
            SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"));
            opened.add(f);
            for (String name : f.tensors().keySet()) where.put(name, f);
        }
        return where;
    }

    private static float[] load(Map<String, SafetensorsFile> where, String name, long... shape) {
        SafetensorsFile f = where.get(name);
        if (f == null) throw new ModelFormatException("tensor '" + name + "' is missing from the checkpoint");
        SafetensorsFile.Tensor t = f.tensors().get(name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw ModelFormatException.at(f.path(), t.begin(), "tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + " but config.json implies " + Arrays.toString(shape));
        }
        return f.readFloats(t);
    }

    private static void copy(Map<String, SafetensorsFile> where, String name, float[] dst, long... shape) { put(load(where, name, shape), dst); }

    private static void put(float[] src, float[] dst) { System.arraycopy(src, 0, dst, 0, src.length); }

    // ------------------------------------------------------------------ writer

    /** Name of the single weights file of an unsharded checkpoint. */
    public static final String WEIGHTS = "model.safetensors";
    /** Name of the shard index of a sharded checkpoint. */
    public static final String INDEX = "model.safetensors.index.json";
    /** transformers' shard names: {@code model-00001-of-00003.safetensors}. */
    private static final java.util.regex.Pattern SHARD = java.util.regex.Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");

    /** {@link #write(Path, LlamaWeights, Tokenizer, String, SafetensorsWriter.DType, long)} with shards of at most {@link ShardSize#DEFAULT}. */
    public static void write(Path dir, LlamaWeights w, Tokenizer tokenizer, String chatTemplate, SafetensorsWriter.DType dtype) throws IOException {
        write(dir, w, tokenizer, chatTemplate, dtype, ShardSize.parse(ShardSize.DEFAULT));
    }

    /**
     * Writes config.json, generation_config.json, the weights and, when a tokenizer is given,
     * tokenizer.json, tokenizer_config.json (with the chat template) and special_tokens_map.json
     * into {@code dir}; each file goes through a temporary file and an atomic rename. The weights
     * are one {@code model.safetensors} when their data fit in {@code maxShardBytes}, else shards
     * {@code model-0000K-of-0000N.safetensors} listed in {@code model.safetensors.index.json}
     * (written last); weight files of an earlier checkpoint in the directory are removed, since
     * loaders prefer {@code model.safetensors} over an index and would read a stale one.
     */
    public static void write(Path dir, LlamaWeights w, Tokenizer tokenizer, String chatTemplate, SafetensorsWriter.DType dtype,
                             long maxShardBytes) throws IOException {
        LlamaConfig c = w.config;
        Files.createDirectories(dir);
        Vocabulary v = null;
        if (tokenizer != null) {
            v = dev.selftaught.engine.format.Vocabularies.of(tokenizer);
        }
        int bos = v != null ? v.bos() : tokenizer != null ? tokenizer.bos() : -1;
        int[] eos = tokenizer != null ? tokenizer.stopIds() : new int[0];
        SafetensorsWriter st = new SafetensorsWriter();
        int d = c.dim(), kv = c.kvDim(), h = c.hiddenDim(), hs = c.headSize();
        st.add("model.embed_tokens.weight", dtype, w.tokenEmbedding, c.vocabSize(), d);
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "model.layers." + l + ".";
            st.add(p + "input_layernorm.weight", dtype, w.attnNorm[l], d);
            st.add(p + "self_attn.q_proj.weight", dtype, RopeLayout.toRotateHalf(w.wq[l], c.nHeads(), hs, d), d, d);
            st.add(p + "self_attn.k_proj.weight", dtype, RopeLayout.toRotateHalf(w.wk[l], c.nKvHeads(), hs, d), kv, d);
            st.add(p + "self_attn.v_proj.weight", dtype, w.wv[l], kv, d);
            if (c.qkvBias()) {
                st.add(p + "self_attn.q_proj.bias", dtype, RopeLayout.toRotateHalf(w.bq[l], c.nHeads(), hs, 1), d);
                st.add(p + "self_attn.k_proj.bias", dtype, RopeLayout.toRotateHalf(w.bk[l], c.nKvHeads(), hs, 1), kv);
                st.add(p + "self_attn.v_proj.bias", dtype, w.bv[l], kv);
            }
            st.add(p + "self_attn.o_proj.weight", dtype, w.wo[l], d, d);
            st.add(p + "post_attention_layernorm.weight", dtype, w.ffnNorm[l], d);
            st.add(p + "mlp.gate_proj.weight", dtype, w.w1[l], h, d);
            st.add(p + "mlp.up_proj.weight", dtype, w.w3[l], h, d);
            st.add(p + "mlp.down_proj.weight", dtype, w.w2[l], d, h);
        }
        st.add("model.norm.weight", dtype, w.finalNorm, d);
        if (!c.tiedEmbeddings()) st.add("lm_head.weight", dtype, w.output, c.vocabSize(), d);
        writeWeights(dir, st, maxShardBytes);
        AtomicFiles.writeString(dir.resolve("config.json"), HfConfig.write(c, bos, eos, dtype.torchName));
        AtomicFiles.writeString(dir.resolve("generation_config.json"), HfConfig.writeGenerationConfig(bos, eos));
        if (v != null) {
            AtomicFiles.writeString(dir.resolve("tokenizer.json"), TokenizerJson.write(v));
            AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), TokenizerJson.writeConfig(v, chatTemplate, c.maxSeqLen()));
            AtomicFiles.writeString(dir.resolve("special_tokens_map.json"), TokenizerJson.writeSpecialTokensMap(v));
        }
    }

    /** One model.safetensors, or shards + index; removes the other layout's files left in {@code dir}. */
    private static void writeWeights(Path dir, SafetensorsWriter all, long maxShardBytes) throws IOException {
        List<SafetensorsWriter> shards = all.split(maxShardBytes);
        List<Path> stale = new ArrayList<>();
        try (var files = Files.list(dir)) {
            files.filter(p -> SHARD.matcher(p.getFileName().toString()).matches()).forEach(stale::add);
        }
        if (shards.size() == 1) {
            // A shard index left by an earlier checkpoint in this directory would name stale shards.
            Files.deleteIfExists(dir.resolve(INDEX));
            all.write(dir.resolve(WEIGHTS));
            for (Path p : stale) Files.deleteIfExists(p);
            return;
        }
        int n = shards.size();
        com.fasterxml.jackson.databind.node.ObjectNode index = HfConfig.JSON.createObjectNode();
        index.putObject("metadata").put("total_size", all.dataBytes());
        com.fasterxml.jackson.databind.node.ObjectNode map = index.putObject("weight_map");
        List<Path> written = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            String name = String.format(java.util.Locale.ROOT, "model-%05d-of-%05d.safetensors", k + 1, n);
            shards.get(k).write(dir.resolve(name));
            written.add(dir.resolve(name));
            for (String t : shards.get(k).names()) map.put(t, name);
        }
        Files.deleteIfExists(dir.resolve(WEIGHTS));
        for (Path p : stale) if (!written.contains(p)) Files.deleteIfExists(p);
        AtomicFiles.writeString(dir.resolve(INDEX), HfConfig.JSON.writeValueAsString(index) + "\n");
    }
}
