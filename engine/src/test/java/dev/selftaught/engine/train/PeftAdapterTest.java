package dev.selftaught.engine.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.engine.format.ModelFormatException;
import dev.selftaught.engine.format.hf.SafetensorsFile;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.model.LlamaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** adapter_config.json and adapter_model.safetensors as PEFT writes and reads them. */
class PeftAdapterTest {
    @TempDir Path tmp;
    static final ObjectMapper JSON = new ObjectMapper();
    static final LlamaConfig MODEL = new LlamaConfig(32, 48, 2, 4, 2, 40, 64, 1e-5f, 10000f, null, false, false);

    private LoraAdapter adapter() {
        var cfg = new LoraConfig(4, 8f, 0.05f, EnumSet.of(LoraConfig.Target.Q, LoraConfig.Target.V, LoraConfig.Target.DOWN));
        LoraAdapter a = new LoraAdapter(cfg, MODEL).initRandom(5);
        Random r = new Random(9);
        for (float[][] perTarget : a.b) if (perTarget != null) for (float[] m : perTarget) for (int i = 0; i < m.length; i++) m[i] = (float) r.nextGaussian();
        return a;
    }

    @Test
    void writesEveryFieldPeftExpectsAndReadsBackExactly() throws Exception {
        LoraAdapter a = adapter();
        Path dir = tmp.resolve("adapter");
        PeftAdapter.write(dir, a, "/models/base");
        JsonNode n = JSON.readTree(dir.resolve("adapter_config.json").toFile());
        assertEquals("LORA", n.get("peft_type").asText());
        assertEquals("CAUSAL_LM", n.get("task_type").asText());
        assertEquals("/models/base", n.get("base_model_name_or_path").asText());
        assertEquals(4, n.get("r").asInt());
        assertTrue(n.get("r").isIntegralNumber());
        assertEquals(8, n.get("lora_alpha").asInt());
        assertEquals(0.05, n.get("lora_dropout").asDouble(), 1e-7);
        assertEquals(List.of("q_proj", "v_proj", "down_proj"), JSON.convertValue(n.get("target_modules"), List.class));
        assertEquals("none", n.get("bias").asText());
        assertFalse(n.get("fan_in_fan_out").asBoolean());
        assertTrue(n.get("inference_mode").asBoolean());
        assertFalse(n.get("use_dora").asBoolean());
        assertFalse(n.get("use_rslora").asBoolean());
        assertTrue(n.get("rank_pattern").isObject() && n.get("rank_pattern").isEmpty());
        assertTrue(n.get("alpha_pattern").isObject() && n.get("alpha_pattern").isEmpty());
        assertTrue(n.get("modules_to_save").isNull());
        // PEFT's tensor names and shapes: lora_A [r, in], lora_B [out, r]
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
            assertEquals(2 * 3 * 2, f.tensors().size());
            assertArrayEquals(new long[] {4, 32}, f.tensors().get("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight").shape());
            assertArrayEquals(new long[] {32, 4}, f.tensors().get("base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight").shape());
            assertArrayEquals(new long[] {16, 4}, f.tensors().get("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight").shape());
            assertArrayEquals(new long[] {4, 48}, f.tensors().get("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight").shape());
        }
        LoraAdapter back = PeftAdapter.read(dir, MODEL);
        assertEquals(a.config, back.config);
        for (int t = 0; t < a.a.length; t++) {
            if (a.a[t] == null) { assertNull(back.a[t]); continue; }
            for (int l = 0; l < MODEL.nLayers(); l++) {
                assertArrayEquals(a.a[t][l], back.a[t][l], 0f);
                assertArrayEquals(a.b[t][l], back.b[t][l], 0f);
            }
        }
    }

    @Test
    void baseModelNameIsTheHubIdOrTheAbsolutePath() {
        Path hub = Path.of("/home/u/.cache/huggingface/hub/models--meta-llama--Llama-3.2-1B/snapshots/4e20de362430cd3b72f300e6b0f18e50e7166e08");
        assertEquals("meta-llama/Llama-3.2-1B", PeftAdapter.baseModelName(hub));
        assertEquals("Qwen/Qwen2-0.5B", PeftAdapter.baseModelName(Path.of("/c/hub/models--Qwen--Qwen2-0.5B/snapshots/abc/model.safetensors")));
        assertEquals(Path.of("").toAbsolutePath().resolve("models/base").toString(), PeftAdapter.baseModelName(Path.of("models/./base")));
    }

    @Test
    void unsupportedPeftFeaturesAreRefusedByName() throws Exception {
        Path dir = tmp.resolve("bad");
        PeftAdapter.write(dir, adapter(), "/models/base");
        ObjectNode good = (ObjectNode) JSON.readTree(dir.resolve("adapter_config.json").toFile());
        String[][] cases = {
                {"use_dora", "true", "use_dora = true is not supported"},
                {"rank_pattern", "{\"q_proj\": 8}", "rank_pattern = {\"q_proj\":8} is not supported"},
                {"alpha_pattern", "{\"v_proj\": 32}", "alpha_pattern"},
                {"modules_to_save", "[\"lm_head\"]", "modules_to_save = [\"lm_head\"] is not supported"},
                {"use_rslora", "true", "use_rslora"},
                {"layers_to_transform", "[0]", "layers_to_transform"},
                {"bias", "\"lora_only\"", "bias 'lora_only' is not supported"},
                {"peft_type", "\"IA3\"", "peft_type 'IA3' is not supported"},
                {"task_type", "\"SEQ_CLS\"", "task_type 'SEQ_CLS'"},
                {"target_modules", "\"all-linear\"", "target_modules must be a list"},
                {"target_modules", "[\"q_proj\", \"lm_head\"]", "'lm_head' is not supported"},
                {"r", "0", "field 'r' must be a positive integer"},
                {"r", "2.5", "field 'r' must be a positive integer"},
        };
        for (String[] c : cases) {
            ObjectNode n = good.deepCopy();
            n.set(c[0], JSON.readTree(c[1]));
            Files.writeString(dir.resolve("adapter_config.json"), n.toPrettyString());
            var e = assertThrows(ModelFormatException.class, () -> PeftAdapter.read(dir, MODEL), c[0] + " " + c[1]);
            assertTrue(e.getMessage().contains(c[2]) && e.getMessage().contains("adapter_config.json"), e.getMessage());
        }
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 4,");
        var e = assertThrows(ModelFormatException.class, () -> PeftAdapter.read(dir, MODEL));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void aConfigWithOnlyPeftsRequiredFieldsAndExtraTensorsAreHandled() throws Exception {
        Path dir = tmp.resolve("minimal");
        LoraAdapter a = adapter();
        PeftAdapter.write(dir, a, "x");
        // Older PEFT versions write fewer keys; unknown harmless keys (peft_version, auto_mapping) are fine.
        Files.writeString(dir.resolve("adapter_config.json"), """
                {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 4, "lora_alpha": 8, "lora_dropout": 0.05,
                 "target_modules": ["v_proj", "q_proj", "down_proj"], "auto_mapping": null, "peft_version": "0.13.2"}
                """);
        assertEquals(a.config, PeftAdapter.read(dir, MODEL).config);
        // A DoRA magnitude vector in the weights is refused even when the config does not say so.
        SafetensorsWriter st = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
            for (var t : f.tensors().values()) st.add(t.name(), SafetensorsWriter.DType.F32, f.readFloats(t), t.shape());
        }
        st.add("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", SafetensorsWriter.DType.F32, new float[32], 32);
        st.write(dir.resolve("adapter_model.safetensors"));
        var e = assertThrows(ModelFormatException.class, () -> PeftAdapter.read(dir, MODEL));
        assertTrue(e.getMessage().contains("lora_magnitude_vector"), e.getMessage());
    }
}
