package dev.selftaught.engine.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.engine.format.AtomicFiles;
import dev.selftaught.engine.format.ModelFormatException;
import dev.selftaught.engine.format.RopeLayout;
import dev.selftaught.engine.format.hf.SafetensorsFile;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.model.LlamaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * LoRA adapters in the PEFT layout: {@code adapter_config.json} and
 * {@code adapter_model.safetensors} with tensors
 * {@code base_model.model.model.layers.L.{self_attn|mlp}.NAME.lora_{A,B}.weight}, A [r][in] and
 * B [out][r]. Like the HF model writer, the rows of q/k matrices are stored in HF's rotate-half
 * order, so the B matrices of q_proj and k_proj are permuted the same way on the way out and in.
 */
public final class PeftAdapter {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";

    private PeftAdapter() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static String tensorPrefix(int layer, LoraConfig.Target t) {
        String block = switch (t) {
            case Q, K, V, O -> "self_attn";
            case GATE, UP, DOWN -> "mlp";
        };
        return "base_model.model.model.layers." + layer + "." + block + "." + t.hfName + ".";
    }

    /** PEFT's name for a base model: the HF hub id when it sits in the hub cache, else its absolute path. */
    public static String baseModelName(Path base) {
        Path abs = base.toAbsolutePath().normalize();
        // ~/.cache/huggingface/hub/models--ORG--NAME/snapshots/REVISION[/file]
        for (Path p = abs; p != null && p.getParent() != null; p = p.getParent()) {
            Path snapshots = p.getParent();
            if (snapshots.getFileName() != null && snapshots.getFileName().toString().equals("snapshots") && snapshots.getParent() != null) {
                String repo = snapshots.getParent().getFileName().toString();
                if (repo.startsWith("models--")) return repo.substring("models--".length()).replace("--", "/");
            }
        }
        return abs.toString();
    }

    /**
     * Writes the adapter (float32) into {@code dir}. {@code baseModel} becomes
     * {@code base_model_name_or_path}: an HF id or a directory path ({@link #baseModelName}),
     * which is what PEFT's {@code PeftModel.from_pretrained} and vLLM look the base up by.
     */
    public static void write(Path dir, LoraAdapter a, String baseModel) throws IOException {
        Files.createDirectories(dir);
        LlamaConfig c = a.model;
        int r = a.config.rank(), hs = c.headSize();
        SafetensorsWriter st = new SafetensorsWriter();
        for (int l = 0; l < c.nLayers(); l++) {
            for (LoraConfig.Target t : LoraConfig.Target.values()) {
                if (!a.has(t)) continue;
                int in = LoraAdapter.inDim(c, t), out = LoraAdapter.outDim(c, t);
                float[] bm = a.b[t.ordinal()][l];
                if (t == LoraConfig.Target.Q) bm = RopeLayout.toRotateHalf(bm, c.nHeads(), hs, r);
                if (t == LoraConfig.Target.K) bm = RopeLayout.toRotateHalf(bm, c.nKvHeads(), hs, r);
                st.add(tensorPrefix(l, t) + "lora_A.weight", SafetensorsWriter.DType.F32, a.a[t.ordinal()][l], r, in);
                st.add(tensorPrefix(l, t) + "lora_B.weight", SafetensorsWriter.DType.F32, bm, out, r);
            }
        }
        st.write(dir.resolve(WEIGHTS));
        AtomicFiles.writeString(dir.resolve(CONFIG), JSON.writeValueAsString(config(a.config, baseModel)) + "\n");
    }

    /** adapter_config.json as PEFT's LoraConfig.save_pretrained writes it (fields in PEFT's order of importance). */
    static ObjectNode config(LoraConfig lc, String baseModel) {
        ObjectNode n = JSON.createObjectNode();
        n.put("peft_type", "LORA");
        n.put("task_type", "CAUSAL_LM");
        n.put("base_model_name_or_path", baseModel);
        n.putNull("revision");
        n.put("r", lc.rank());
        if (lc.alpha() == Math.rint(lc.alpha())) n.put("lora_alpha", (long) lc.alpha()); else n.put("lora_alpha", lc.alpha());
        n.put("lora_dropout", lc.dropout());
        ArrayNode targets = n.putArray("target_modules");
        for (LoraConfig.Target t : LoraConfig.Target.values()) if (lc.targets().contains(t)) targets.add(t.hfName);
        n.put("bias", "none");
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        n.put("init_lora_weights", true);
        n.put("use_rslora", false);
        n.put("use_dora", false);
        n.putNull("modules_to_save");
        n.putObject("rank_pattern");
        n.putObject("alpha_pattern");
        n.putNull("layers_to_transform");
        n.putNull("layers_pattern");
        n.putNull("layer_replication");
        return n;
    }

    /**
     * PEFT features that change what the adapter computes and that we do not implement, with the
     * value that means "not used". A file using any of them is refused by name: applying the rest
     * of it would silently give another model than the one it was trained as.
     */
    private static final Map<String, String> UNSUPPORTED = new LinkedHashMap<>();
    static {
        UNSUPPORTED.put("use_dora", "false");
        UNSUPPORTED.put("use_rslora", "false");
        UNSUPPORTED.put("rank_pattern", "{}");
        UNSUPPORTED.put("alpha_pattern", "{}");
        UNSUPPORTED.put("modules_to_save", "null");
        UNSUPPORTED.put("layers_to_transform", "null");
        UNSUPPORTED.put("layer_replication", "null");
        UNSUPPORTED.put("fan_in_fan_out", "false");
        UNSUPPORTED.put("lora_bias", "false");
        UNSUPPORTED.put("megatron_config", "null");
        UNSUPPORTED.put("trainable_token_indices", "null");
        UNSUPPORTED.put("target_parameters", "null");
    }

    /** Reads an adapter written by {@link #write} or by PEFT for a Llama model of shape {@code c}. */
    public static LoraAdapter read(Path dir, LlamaConfig c) throws IOException {
        Path file = dir.resolve(CONFIG);
        JsonNode n;
        try {
            n = JSON.readTree(Files.readAllBytes(file));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw ModelFormatException.in(file, "not valid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) throw ModelFormatException.in(file, "expected a JSON object");
        String type = n.path("peft_type").asText("");
        if (!type.equals("LORA")) throw ModelFormatException.in(file, "peft_type '" + type + "' is not supported (only LORA)");
        if (n.hasNonNull("task_type") && !n.get("task_type").asText().equals("CAUSAL_LM")) {
            throw ModelFormatException.in(file, "task_type '" + n.get("task_type").asText() + "' is not supported (only CAUSAL_LM)");
        }
        for (Map.Entry<String, String> u : UNSUPPORTED.entrySet()) {
            JsonNode v = n.get(u.getKey());
            boolean unused = v == null || v.isNull() || (v.isBoolean() && !v.asBoolean()) || (v.isContainerNode() && v.isEmpty());
            if (!unused) throw ModelFormatException.in(file, u.getKey() + " = " + v + " is not supported (only " + u.getValue() + ")");
        }
        String bias = n.path("bias").asText("none");
        if (!bias.equals("none")) throw ModelFormatException.in(file, "bias '" + bias + "' is not supported (only none)");
        JsonNode rn = n.get("r");
        if (rn == null || !rn.canConvertToInt() || !rn.isIntegralNumber() || rn.asInt() <= 0) throw ModelFormatException.in(file, "field 'r' must be a positive integer, got " + rn);
        JsonNode an = n.get("lora_alpha");
        if (an == null || !an.isNumber() || !(an.asDouble() > 0)) throw ModelFormatException.in(file, "field 'lora_alpha' must be a positive number, got " + an);
        JsonNode dn = n.get("lora_dropout");
        if (dn != null && !dn.isNull() && !dn.isNumber()) throw ModelFormatException.in(file, "field 'lora_dropout' must be a number, got " + dn);
        JsonNode tm = n.get("target_modules");
        if (tm == null || !tm.isArray()) {
            throw ModelFormatException.in(file, "target_modules must be a list of module names, got " + tm + " (regular expressions and 'all-linear' are not supported)");
        }
        EnumSet<LoraConfig.Target> targets = EnumSet.noneOf(LoraConfig.Target.class);
        for (JsonNode t : tm) {
            String name = t.asText();
            LoraConfig.Target target = null;
            for (LoraConfig.Target x : LoraConfig.Target.values()) if (x.hfName.equals(name)) target = x;
            if (target == null) throw ModelFormatException.in(file, "target_modules: '" + name + "' is not supported (use q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)");
            targets.add(target);
        }
        int r = rn.asInt();
        LoraAdapter a;
        try {
            a = new LoraAdapter(new LoraConfig(r, (float) an.asDouble(), dn == null || dn.isNull() ? 0f : (float) dn.asDouble(), targets), c);
        } catch (IllegalArgumentException e) {
            throw ModelFormatException.in(file, e.getMessage());
        }
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(WEIGHTS))) {
            Map<String, SafetensorsFile.Tensor> ts = f.tensors();
            java.util.Set<String> used = new java.util.HashSet<>();
            for (int l = 0; l < c.nLayers(); l++) {
                for (LoraConfig.Target t : targets) {
                    int in = LoraAdapter.inDim(c, t), out = LoraAdapter.outDim(c, t);
                    float[] am = load(f, ts, tensorPrefix(l, t) + "lora_A.weight", r, in);
                    float[] bm = load(f, ts, tensorPrefix(l, t) + "lora_B.weight", out, r);
                    used.add(tensorPrefix(l, t) + "lora_A.weight");
                    used.add(tensorPrefix(l, t) + "lora_B.weight");
                    if (t == LoraConfig.Target.Q) bm = RopeLayout.fromRotateHalf(bm, c.nHeads(), c.headSize(), r);
                    if (t == LoraConfig.Target.K) bm = RopeLayout.fromRotateHalf(bm, c.nKvHeads(), c.headSize(), r);
                    System.arraycopy(am, 0, a.a[t.ordinal()][l], 0, am.length);
                    System.arraycopy(bm, 0, a.b[t.ordinal()][l], 0, bm.length);
                }
            }
            for (String name : ts.keySet()) {
                // e.g. lora_magnitude_vector (DoRA), embedding adapters, saved full modules
                if (!used.contains(name)) throw ModelFormatException.in(f.path(), "tensor " + name + " is not part of a LoRA adapter on " + targets + " (not supported)");
            }
        }
        return a;
    }

    private static float[] load(SafetensorsFile f, Map<String, SafetensorsFile.Tensor> ts, String name, int rows, int cols) throws IOException {
        SafetensorsFile.Tensor t = ts.get(name);
        if (t == null) throw ModelFormatException.in(f.path(), "missing tensor " + name);
        long[] shape = t.shape();
        if (shape.length != 2 || shape[0] != rows || shape[1] != cols) {
            throw ModelFormatException.in(f.path(), "tensor " + name + " has shape " + java.util.Arrays.toString(shape) + ", expected [" + rows + ", " + cols + "]");
        }
        return f.readFloats(t);
    }
}
