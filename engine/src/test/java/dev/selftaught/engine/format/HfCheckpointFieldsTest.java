package dev.selftaught.engine.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.selftaught.engine.format.hf.HfCheckpoint;
import dev.selftaught.engine.format.hf.SafetensorsFile;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.engine.tokenizer.TokenizerJsonTest;
import dev.selftaught.engine.tokenizer.Tokenizers;
import dev.selftaught.engine.tokenizer.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every field docs/formats.md lists as required by transformers, vLLM or PEFT is in what
 * {@link HfCheckpoint#write} produces, with the right JSON type and value (one assertion per
 * field, in the order of the table there).
 */
class HfCheckpointFieldsTest {
    @TempDir Path tmp;
    static final ObjectMapper JSON = new ObjectMapper();

    /** Llama-3 shape in miniature: GQA, untied head, Llama-3 rope scaling, byte-level BPE vocabulary. */
    static LlamaConfig llama(int vocab) {
        return new LlamaConfig(32, 48, 2, 4, 2, vocab, 96, 1e-5f, 500000f, new LlamaConfig.RopeScaling(8f, 1f, 4f, 8192), false, false);
    }

    private Path write(LlamaConfig c, SafetensorsWriter.DType dtype) throws Exception {
        Vocabulary v = TokenizerJsonTest.byteLevel();
        Tokenizer tok = Tokenizers.fromVocabulary(v);
        Path dir = tmp.resolve(c.qkvBias() + "-" + dtype);
        HfCheckpoint.write(dir, WeightsAssert.random(c, 3), tok, "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}", dtype);
        return dir;
    }

    @Test
    void configJsonHasEveryFieldTransformersAndVllmNeed() throws Exception {
        Vocabulary v = TokenizerJsonTest.byteLevel();
        LlamaConfig c = llama(v.size());
        JsonNode n = JSON.readTree(write(c, SafetensorsWriter.DType.BF16).resolve("config.json").toFile());
        assertEquals("[\"LlamaForCausalLM\"]", n.get("architectures").toString());   // vLLM picks the model class by it
        assertEquals("llama", n.get("model_type").asText());                         // AutoConfig picks LlamaConfig by it
        assertInt(n, "hidden_size", 32);
        assertInt(n, "intermediate_size", 48);
        assertInt(n, "num_hidden_layers", 2);
        assertInt(n, "num_attention_heads", 4);
        assertInt(n, "num_key_value_heads", 2);
        assertInt(n, "head_dim", 8);
        assertInt(n, "vocab_size", v.size());
        assertInt(n, "max_position_embeddings", 96);
        assertNumber(n, "rms_norm_eps", 1e-5);
        assertEquals("silu", n.get("hidden_act").asText());
        assertTrue(n.get("tie_word_embeddings").isBoolean() && !n.get("tie_word_embeddings").asBoolean());
        assertTrue(n.get("attention_bias").isBoolean() && !n.get("attention_bias").asBoolean());
        assertTrue(n.get("mlp_bias").isBoolean() && !n.get("mlp_bias").asBoolean());
        assertInt(n, "pretraining_tp", 1);
        assertInt(n, "bos_token_id", 262);
        assertEquals(intList(Tokenizers.fromVocabulary(v).stopIds()), intList(n.get("eos_token_id")));
        assertEquals("bfloat16", n.get("torch_dtype").asText());
        assertEquals("bfloat16", n.get("dtype").asText());
        // RoPE, transformers v4 form
        assertNumber(n, "rope_theta", 500000);
        JsonNode rs = n.get("rope_scaling");
        assertEquals("llama3", rs.get("rope_type").asText());
        assertNumber(rs, "factor", 8);
        assertNumber(rs, "low_freq_factor", 1);
        assertNumber(rs, "high_freq_factor", 4);
        assertInt(rs, "original_max_position_embeddings", 8192);
        // ... and v5 form, saying the same
        JsonNode rp = n.get("rope_parameters");
        assertEquals("llama3", rp.get("rope_type").asText());
        assertNumber(rp, "rope_theta", 500000);
        for (String k : List.of("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings")) {
            assertEquals(rs.get(k), rp.get(k), k);
        }
        assertTrue(n.get("transformers_version").isTextual());
    }

    @Test
    void qwen2AndPlainRopeConfigs() throws Exception {
        Vocabulary v = TokenizerJsonTest.byteLevel();
        LlamaConfig c = new LlamaConfig(32, 40, 1, 4, 1, v.size(), 128, 1e-6f, 1000000f, null, true, true);
        JsonNode n = JSON.readTree(write(c, SafetensorsWriter.DType.F32).resolve("config.json").toFile());
        assertEquals("[\"Qwen2ForCausalLM\"]", n.get("architectures").toString());
        assertEquals("qwen2", n.get("model_type").asText());
        assertTrue(n.get("tie_word_embeddings").asBoolean());
        assertEquals("float32", n.get("torch_dtype").asText());
        assertEquals("float32", n.get("dtype").asText());
        assertTrue(n.get("rope_scaling").isNull(), "no scaling: v4 rope_scaling is null");
        assertEquals("default", n.get("rope_parameters").get("rope_type").asText());
        assertNumber(n.get("rope_parameters"), "rope_theta", 1000000);
        assertEquals(2, n.get("rope_parameters").size(), "default RoPE has only rope_type and rope_theta");
    }

    @Test
    void generationConfigTokenizerFilesAndSpecialTokensMap() throws Exception {
        Vocabulary v = TokenizerJsonTest.byteLevel();
        Path dir = write(llama(v.size()), SafetensorsWriter.DType.F32);
        JsonNode g = JSON.readTree(dir.resolve("generation_config.json").toFile());
        assertInt(g, "bos_token_id", 262);
        assertEquals(intList(Tokenizers.fromVocabulary(v).stopIds()), intList(g.get("eos_token_id")));
        assertTrue(g.get("transformers_version").isTextual());

        JsonNode tc = JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        assertEquals("PreTrainedTokenizerFast", tc.get("tokenizer_class").asText());
        assertTrue(tc.get("chat_template").asText().startsWith("{{ bos_token }}"));
        assertEquals("<|begin_of_text|>", tc.get("bos_token").asText());
        assertEquals("<|end_of_text|>", tc.get("eos_token").asText());
        assertTrue(tc.get("pad_token").isNull() && tc.get("unk_token").isNull(), "no pad/unk in this vocabulary");
        assertInt(tc, "model_max_length", 96);
        assertTrue(tc.get("add_bos_token").asBoolean());
        assertFalse(tc.get("add_eos_token").asBoolean());
        JsonNode eot = tc.get("added_tokens_decoder").get("263");
        assertEquals("<|eot_id|>", eot.get("content").asText());
        assertTrue(eot.get("special").asBoolean());

        JsonNode sm = JSON.readTree(dir.resolve("special_tokens_map.json").toFile());
        assertEquals(Set.of("bos_token", "eos_token"), fieldNames(sm));
        assertEquals("<|begin_of_text|>", sm.get("bos_token").get("content").asText());
        assertEquals("<|end_of_text|>", sm.get("eos_token").get("content").asText());
        for (String flag : List.of("lstrip", "normalized", "rstrip", "single_word")) assertTrue(sm.get("bos_token").get(flag).isBoolean(), flag);

        JsonNode tj = JSON.readTree(dir.resolve("tokenizer.json").toFile());
        assertEquals("1.0", tj.get("version").asText());
        assertEquals("BPE", tj.get("model").get("type").asText());
        assertEquals(256 + 6, tj.get("model").get("vocab").size(), "byte symbols and merged pieces; specials are added_tokens");
        assertEquals(6, tj.get("model").get("merges").size());
        List<Integer> added = new ArrayList<>();
        for (JsonNode a : tj.get("added_tokens")) { added.add(a.get("id").asInt()); assertTrue(a.get("special").asBoolean()); }
        assertEquals(List.of(262, 263, 264), added);
        assertEquals("TemplateProcessing", tj.get("post_processor").get("type").asText(), "BOS added by the tokenizer itself, as add_bos_token says");
    }

    @Test
    void tensorNamesAreTransformersLlamaStateDict() throws Exception {
        Vocabulary v = TokenizerJsonTest.byteLevel();
        for (LlamaConfig c : new LlamaConfig[] {llama(v.size()), new LlamaConfig(32, 40, 2, 4, 1, v.size(), 128, 1e-6f, 1e6f, null, true, true)}) {
            Path dir = write(c, SafetensorsWriter.DType.F16);
            Set<String> expected = new TreeSet<>(List.of("model.embed_tokens.weight", "model.norm.weight"));
            if (!c.tiedEmbeddings()) expected.add("lm_head.weight");
            for (int l = 0; l < c.nLayers(); l++) {
                for (String s : List.of("input_layernorm.weight", "post_attention_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
                        "self_attn.v_proj.weight", "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight")) {
                    expected.add("model.layers." + l + "." + s);
                }
                if (c.qkvBias()) for (String p : List.of("q", "k", "v")) expected.add("model.layers." + l + ".self_attn." + p + "_proj.bias");
            }
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
                assertEquals(expected, new TreeSet<>(f.tensors().keySet()));
                for (SafetensorsFile.Tensor t : f.tensors().values()) assertEquals("F16", t.dtype(), t.name());
                assertArrayEquals(new long[] {c.nKvHeads() * 8L, 32}, f.tensors().get("model.layers.1.self_attn.k_proj.weight").shape(), "[kv heads x head_dim, hidden]");
                assertArrayEquals(new long[] {32, c.hiddenDim()}, f.tensors().get("model.layers.0.mlp.down_proj.weight").shape());
                assertEquals("pt", f.metadata().get("format"), "transformers refuses safetensors without format=pt metadata");
            }
        }
    }

    private static void assertInt(JsonNode n, String key, long value) {
        assertNotNull(n.get(key), key + " missing");
        assertTrue(n.get(key).isIntegralNumber(), key + " must be an integer, is " + n.get(key));
        assertEquals(value, n.get(key).asLong(), key);
    }

    private static void assertNumber(JsonNode n, String key, double value) {
        assertNotNull(n.get(key), key + " missing");
        assertTrue(n.get(key).isNumber(), key + " must be a number, is " + n.get(key));
        assertEquals(value, n.get(key).asDouble(), Math.abs(value) * 1e-6, key);
    }

    private static List<Integer> intList(int[] a) { return java.util.Arrays.stream(a).boxed().toList(); }

    private static List<Integer> intList(JsonNode n) {
        List<Integer> r = new ArrayList<>();
        if (n.isArray()) for (JsonNode x : n) r.add(x.asInt()); else r.add(n.asInt());
        return r;
    }

    private static Set<String> fieldNames(JsonNode n) {
        Set<String> s = new TreeSet<>();
        n.fieldNames().forEachRemaining(s::add);
        return s;
    }
}
