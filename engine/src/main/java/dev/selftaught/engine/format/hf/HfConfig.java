package dev.selftaught.engine.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.engine.format.ModelFormatException;
import dev.selftaught.engine.model.LlamaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * HF {@code config.json} for {@code LlamaForCausalLM} (also Mistral) and {@code Qwen2ForCausalLM}
 * to and from {@link LlamaConfig}.
 */
public final class HfConfig {
    private HfConfig() {}

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What config.json says beyond the model shape. */
    public record Parsed(LlamaConfig config, String architecture, int bos, int[] eos) {}

    public static Parsed read(Path file) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw ModelFormatException.in(file, "not valid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) throw ModelFormatException.in(file, "expected a JSON object");
        String arch = n.path("architectures").path(0).asText(null);
        String modelType = n.path("model_type").asText("");
        boolean qwen2;
        if ("Qwen2ForCausalLM".equals(arch) || modelType.equals("qwen2")) qwen2 = true;
        else if ("LlamaForCausalLM".equals(arch) || "MistralForCausalLM".equals(arch) || modelType.equals("llama") || modelType.equals("mistral")) qwen2 = false;
        else throw ModelFormatException.in(file, "unsupported architecture " + (arch != null ? "'" + arch + "'" : "(model_type '" + modelType + "')")
                + " (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)");
        int dim = req(file, n, "hidden_size");
        int heads = req(file, n, "num_attention_heads");
        if (n.hasNonNull("head_dim") && n.get("head_dim").asInt() * heads != dim) {
            throw ModelFormatException.in(file, "head_dim " + n.get("head_dim").asInt() + " x num_attention_heads " + heads + " != hidden_size " + dim + " (not supported)");
        }
        if (!n.path("hidden_act").asText("silu").equals("silu")) throw ModelFormatException.in(file, "hidden_act '" + n.path("hidden_act").asText() + "' is not supported (only silu)");
        Rope rope = rope(file, n);
        LlamaConfig c;
        try {
            c = new LlamaConfig(dim, req(file, n, "intermediate_size"), req(file, n, "num_hidden_layers"), heads,
                    n.path("num_key_value_heads").asInt(heads), req(file, n, "vocab_size"),
                    n.path("max_position_embeddings").asInt(2048), (float) n.path("rms_norm_eps").asDouble(1e-6),
                    rope.theta(), rope.scaling(), n.path("tie_word_embeddings").asBoolean(false),
                    qwen2 || n.path("attention_bias").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw ModelFormatException.in(file, "inconsistent model shape: " + e.getMessage());
        }
        return new Parsed(c, arch != null ? arch : modelType, n.path("bos_token_id").asInt(-1), ids(n.get("eos_token_id")));
    }

    /** The RoPE base and scaling a config.json asks for. */
    record Rope(float theta, LlamaConfig.RopeScaling scaling) {}

    /** RoPE types our forward pass implements; anything else is refused by name rather than run wrongly. */
    static final java.util.Set<String> ROPE_TYPES = java.util.Set.of("default", "llama3");

    /**
     * RoPE from either layout: transformers v5 puts everything into {@code rope_parameters}
     * ({@code rope_type}, {@code rope_theta} and the type's own fields); v4 has a top-level
     * {@code rope_theta} and an optional {@code rope_scaling} object (type under {@code rope_type}
     * or the older {@code type}). Ignoring either would run the model with the wrong positions and
     * no error, so every type, field or shape we do not implement is refused, naming it.
     */
    static Rope rope(Path file, JsonNode n) {
        JsonNode partial = n.get("partial_rotary_factor");
        if (partial != null && !partial.isNull() && partial.asDouble() != 1.0) {
            throw ModelFormatException.in(file, "partial_rotary_factor " + partial.asText() + " is not supported (only 1.0: RoPE on the whole head)");
        }
        JsonNode params = n.get("rope_parameters");
        JsonNode scaling = n.get("rope_scaling");
        String where;
        JsonNode p;
        double theta;
        if (params != null && !params.isNull()) {
            if (!params.isObject()) throw ModelFormatException.in(file, "rope_parameters must be an object");
            if (!params.has("rope_type") && !params.has("rope_theta")) {
                // v5 hybrid models key the parameters by layer type (full_attention, sliding_attention, ...).
                throw ModelFormatException.in(file, "rope_parameters per layer type (" + String.join(", ", iterable(params.fieldNames()))
                        + ") is not supported (only one set of RoPE parameters for all layers)");
            }
            where = "rope_parameters";
            p = params;
            theta = positive(file, params, "rope_parameters.rope_theta", "rope_theta", 10000);
            if (n.hasNonNull("rope_theta") && n.get("rope_theta").asDouble() != theta) {
                throw ModelFormatException.in(file, "rope_theta " + n.get("rope_theta").asText() + " contradicts rope_parameters.rope_theta " + theta);
            }
            if (scaling != null && scaling.isObject()) {
                // Some exports keep the v4 field beside the v5 one: it must say the same thing.
                for (var f : iterable(scaling.fields())) {
                    String k = f.getKey().equals("type") ? "rope_type" : f.getKey();
                    if (!f.getValue().equals(params.get(k)) && !(f.getValue().isNumber() && params.path(k).isNumber() && f.getValue().asDouble() == params.get(k).asDouble())) {
                        throw ModelFormatException.in(file, "rope_scaling." + f.getKey() + " " + f.getValue() + " contradicts rope_parameters." + k + " " + params.get(k));
                    }
                }
            }
        } else {
            where = "rope_scaling";
            p = scaling != null && !scaling.isNull() ? scaling : null;
            if (p != null && !p.isObject()) throw ModelFormatException.in(file, "rope_scaling must be an object or null");
            theta = positive(file, n, "rope_theta", "rope_theta", 10000);
        }
        String type = p == null ? "default" : p.path("rope_type").asText(p.path("type").asText("default"));
        if (!ROPE_TYPES.contains(type)) {
            throw ModelFormatException.in(file, where + " type '" + type + "' is not supported (implemented: default, llama3)");
        }
        if (!type.equals("llama3")) return new Rope((float) theta, null);
        String pre = where + ".";
        double factor = positive(file, p, pre + "factor", "factor", Double.NaN);
        double low = positive(file, p, pre + "low_freq_factor", "low_freq_factor", Double.NaN);
        double high = positive(file, p, pre + "high_freq_factor", "high_freq_factor", Double.NaN);
        double original = positive(file, p, pre + "original_max_position_embeddings", "original_max_position_embeddings", Double.NaN);
        if (high <= low) throw ModelFormatException.in(file, pre + "high_freq_factor " + high + " must exceed low_freq_factor " + low);
        if (original != Math.rint(original)) throw ModelFormatException.in(file, pre + "original_max_position_embeddings must be an integer");
        return new Rope((float) theta, new LlamaConfig.RopeScaling((float) factor, (float) low, (float) high, (int) original));
    }

    /** A positive number at {@code key}, or {@code absent} when missing (NaN: required). */
    private static double positive(Path file, JsonNode obj, String name, String key, double absent) {
        JsonNode v = obj.get(key);
        if (v == null || v.isNull()) {
            if (Double.isNaN(absent)) throw ModelFormatException.in(file, "field '" + name + "' is missing");
            return absent;
        }
        if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
            throw ModelFormatException.in(file, "field '" + name + "' must be a positive number, got " + v);
        }
        return v.asDouble();
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> it) { return () -> it; }

    static int[] ids(JsonNode n) {
        if (n == null || n.isNull()) return new int[0];
        if (n.isArray()) {
            int[] r = new int[n.size()];
            for (int i = 0; i < r.length; i++) r[i] = n.get(i).asInt();
            return r;
        }
        return new int[] {n.asInt()};
    }

    private static int req(Path file, JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.canConvertToInt() || v.asInt() <= 0) throw ModelFormatException.in(file, "field '" + key + "' is missing or not a positive integer");
        return v.asInt();
    }

    /** config.json text for a model; {@code torchDtype} is "float32", "float16" or "bfloat16". */
    public static String write(LlamaConfig c, int bos, int[] eos, String torchDtype) {
        boolean qwen2 = c.qkvBias();
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        n.put("model_type", qwen2 ? "qwen2" : "llama");
        n.put("hidden_size", c.dim());
        n.put("intermediate_size", c.hiddenDim());
        n.put("num_hidden_layers", c.nLayers());
        n.put("num_attention_heads", c.nHeads());
        n.put("num_key_value_heads", c.nKvHeads());
        n.put("head_dim", c.headSize());
        n.put("vocab_size", c.vocabSize());
        n.put("max_position_embeddings", c.maxSeqLen());
        n.put("rms_norm_eps", c.normEps());
        // RoPE twice, saying the same thing: transformers v4 reads rope_theta + rope_scaling, v5 reads
        // rope_parameters (and still accepts the v4 pair); vLLM takes whichever its transformers gives it.
        n.put("rope_theta", c.ropeTheta());
        if (c.ropeScaling() != null) llama3(n.putObject("rope_scaling"), c.ropeScaling());
        else n.putNull("rope_scaling");
        ObjectNode rp = n.putObject("rope_parameters");
        rp.put("rope_type", c.ropeScaling() != null ? "llama3" : "default");
        rp.put("rope_theta", c.ropeTheta());
        if (c.ropeScaling() != null) llama3(rp, c.ropeScaling());
        n.put("tie_word_embeddings", c.tiedEmbeddings());
        if (!qwen2) {
            n.put("attention_bias", false);
            n.put("mlp_bias", false);
        }
        n.put("hidden_act", "silu");
        if (!qwen2) n.put("pretraining_tp", 1);
        n.put("initializer_range", 0.02);
        n.put("use_cache", true);
        n.put("attention_dropout", 0.0);
        if (bos >= 0) n.put("bos_token_id", bos);
        if (eos.length == 1) n.put("eos_token_id", eos[0]);
        else if (eos.length > 1) { ArrayNode a = n.putArray("eos_token_id"); for (int e : eos) a.add(e); }
        n.put("torch_dtype", torchDtype); // transformers < 4.56 and vLLM's dtype "auto"
        n.put("dtype", torchDtype);       // the same field's name from transformers 4.56 on
        n.put("transformers_version", "4.46.0");
        try {
            return JSON.writeValueAsString(n) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Llama-3 scaling fields (rope_type first) into {@code o}. */
    private static ObjectNode llama3(ObjectNode o, LlamaConfig.RopeScaling s) {
        o.put("rope_type", "llama3");
        o.put("factor", s.factor());
        o.put("low_freq_factor", s.lowFreqFactor());
        o.put("high_freq_factor", s.highFreqFactor());
        o.put("original_max_position_embeddings", s.originalMaxPositionEmbeddings());
        return o;
    }

    /** generation_config.json text (bos/eos ids). */
    public static String writeGenerationConfig(int bos, int[] eos) {
        ObjectNode n = JSON.createObjectNode();
        if (bos >= 0) n.put("bos_token_id", bos);
        if (eos.length == 1) n.put("eos_token_id", eos[0]);
        else if (eos.length > 1) { ArrayNode a = n.putArray("eos_token_id"); for (int e : eos) a.add(e); }
        n.put("transformers_version", "4.46.0");
        try {
            return JSON.writeValueAsString(n) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode readJson(Path file) throws IOException {
        try {
            return JSON.readTree(Files.readAllBytes(file));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw ModelFormatException.in(file, "not valid JSON: " + e.getOriginalMessage());
        }
    }
}
