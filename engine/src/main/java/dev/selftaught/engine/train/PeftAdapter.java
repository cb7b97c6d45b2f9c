package dev.selftaught.engine.train;

import dev.selftaught.engine.format.AtomicFiles;
import dev.selftaught.engine.format.RopeLayout;
import dev.selftaught.engine.format.hf.SafetensorsFile;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.model.LlamaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    static String tensorPrefix(int layer, LoraConfig.Target t) {
        String block = switch (t) {
            case Q, K, V, O -> "self_attn";
            case GATE, UP, DOWN -> "mlp";
        };
        return "base_model.model.model.layers." + layer + "." + block + "." + t.hfName + ".";
    }

    /** Writes the adapter (float32) into {@code dir}; {@code baseModel} is recorded as base_model_name_or_path. */
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
        StringBuilder targets = new StringBuilder();
        for (LoraConfig.Target t : LoraConfig.Target.values()) {
            if (!a.has(t)) continue;
            if (!targets.isEmpty()) targets.append(", ");
            targets.append('"').append(t.hfName).append('"');
        }
        String json = "{\n"
                + "  \"peft_type\": \"LORA\",\n"
                + "  \"task_type\": \"CAUSAL_LM\",\n"
                + "  \"base_model_name_or_path\": " + quote(baseModel) + ",\n"
                + "  \"r\": " + r + ",\n"
                + "  \"lora_alpha\": " + fmt(a.config.alpha()) + ",\n"
                + "  \"lora_dropout\": " + fmt(a.config.dropout()) + ",\n"
                + "  \"target_modules\": [" + targets + "],\n"
                + "  \"bias\": \"none\",\n"
                + "  \"fan_in_fan_out\": false,\n"
                + "  \"inference_mode\": true,\n"
                + "  \"use_rslora\": false\n"
                + "}\n";
        AtomicFiles.writeString(dir.resolve(CONFIG), json);
    }

    /** Reads an adapter written by {@link #write} (or by PEFT for a Llama model of shape {@code c}). */
    public static LoraAdapter read(Path dir, LlamaConfig c) throws IOException {
        String json = Files.readString(dir.resolve(CONFIG));
        int r = (int) number(json, "r");
        float alpha = (float) number(json, "lora_alpha");
        float dropout = json.contains("\"lora_dropout\"") ? (float) number(json, "lora_dropout") : 0f;
        Matcher m = Pattern.compile("\"target_modules\"\\s*:\\s*\\[([^\\]]*)\\]").matcher(json);
        if (!m.find()) throw new IOException(dir.resolve(CONFIG) + ": no target_modules list");
        EnumSet<LoraConfig.Target> targets = EnumSet.noneOf(LoraConfig.Target.class);
        for (String s : m.group(1).split(",")) if (!s.isBlank()) targets.add(LoraConfig.Target.parse(s.trim().replace("\"", "")));
        LoraAdapter a = new LoraAdapter(new LoraConfig(r, alpha, dropout, targets), c);
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(WEIGHTS))) {
            Map<String, SafetensorsFile.Tensor> ts = f.tensors();
            for (int l = 0; l < c.nLayers(); l++) {
                for (LoraConfig.Target t : targets) {
                    float[] am = load(f, ts, tensorPrefix(l, t) + "lora_A.weight", a.a[t.ordinal()][l].length);
                    float[] bm = load(f, ts, tensorPrefix(l, t) + "lora_B.weight", a.b[t.ordinal()][l].length);
                    if (t == LoraConfig.Target.Q) bm = RopeLayout.fromRotateHalf(bm, c.nHeads(), c.headSize(), r);
                    if (t == LoraConfig.Target.K) bm = RopeLayout.fromRotateHalf(bm, c.nKvHeads(), c.headSize(), r);
                    System.arraycopy(am, 0, a.a[t.ordinal()][l], 0, am.length);
                    System.arraycopy(bm, 0, a.b[t.ordinal()][l], 0, bm.length);
                }
            }
        }
        return a;
    }

    private static float[] load(SafetensorsFile f, Map<String, SafetensorsFile.Tensor> ts, String name, int expected) throws IOException {
        SafetensorsFile.Tensor t = ts.get(name);
        if (t == null) throw new IOException(f.path() + ": missing tensor " + name);
        if (t.elements() != expected) throw new IOException(f.path() + ": tensor " + name + " has " + t.elements() + " values, expected " + expected);
        return f.readFloats(t);
    }

    private static double number(String json, String key) throws IOException {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*(-?[0-9.eE+-]+)").matcher(json);
        if (!m.find()) throw new IOException("adapter config has no numeric \"" + key + "\"");
        return Double.parseDouble(m.group(1));
    }

    private static String fmt(float f) {
        return f == Math.rint(f) ? Long.toString((long) f) : String.format(Locale.ROOT, "%s", f);
    }

    private static String quote(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> { if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch)); else sb.append(ch); }
            }
        }
        return sb.append('"').toString();
    }
}
