package dev.selftaught.engine.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.engine.format.hf.HfCheckpoint;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * transformers v5 writes RoPE as {@code rope_parameters}; the same model described that way must
 * run exactly as its v4 {@code rope_theta}/{@code rope_scaling} twin, and what we do not implement
 * must be refused by name (it used to be ignored, running RoPE base 10000 without a word).
 */
class HfRopeParametersTest {
    @TempDir Path tmp;
    static final ObjectMapper JSON = new ObjectMapper();
    static final LlamaConfig LLAMA3 = new LlamaConfig(32, 48, 2, 4, 2, 40, 64, 1e-5f, 500000f,
            new LlamaConfig.RopeScaling(8f, 1f, 4f, 16), false, false);
    static final int[] TOKENS = {1, 7, 22, 3, 39, 12, 5, 30, 18, 2, 9, 27};

    @Test
    void v5RopeParametersGiveTheSameLogitsAsTheV4Config() throws Exception {
        LlamaWeights w = WeightsAssert.random(LLAMA3, 21);
        // Sharpen attention so that positions matter: at init scale the scores are ~0 and RoPE barely shows.
        for (int l = 0; l < LLAMA3.nLayers(); l++) {
            for (int i = 0; i < w.wq[l].length; i++) w.wq[l][i] *= 40;
            for (int i = 0; i < w.wk[l].length; i++) w.wk[l][i] *= 40;
        }
        Path v4 = tmp.resolve("v4");
        HfCheckpoint.write(v4, w, null, null, SafetensorsWriter.DType.F32);
        ObjectNode v4cfg = (ObjectNode) JSON.readTree(v4.resolve("config.json").toFile());
        assertEquals("llama3", v4cfg.path("rope_scaling").path("rope_type").asText(), "the twin really is the v4 layout");
        v4cfg.remove("rope_parameters"); // the writer puts both layouts; keep this twin v4 only
        Files.writeString(v4.resolve("config.json"), v4cfg.toPrettyString());

        Path v5 = copy(v4, "v5");
        ObjectNode cfg = v4cfg.deepCopy();
        cfg.remove("rope_theta");
        cfg.remove("rope_scaling");
        ObjectNode rp = cfg.putObject("rope_parameters");
        rp.put("rope_type", "llama3").put("rope_theta", 500000.0).put("factor", 8.0).put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 16);
        cfg.put("transformers_version", "5.0.0");
        Files.writeString(v5.resolve("config.json"), cfg.toPrettyString());

        Checkpoint a = HfCheckpoint.read(v4), b = HfCheckpoint.read(v5);
        assertEquals(a.config(), b.config());
        float[][] la = logits(a.weights()), lb = logits(b.weights());
        for (int i = 0; i < TOKENS.length; i++) assertArrayEquals(la[i], lb[i], 0f, "position " + i);

        // The comparison can fail: the model read with RoPE base 10000 and no scaling (what the
        // v5 file used to give) differs from position 1 on.
        Path plain = copy(v4, "plain");
        ObjectNode p = cfg.deepCopy();
        p.remove("rope_parameters");
        Files.writeString(plain.resolve("config.json"), p.toPrettyString());
        Checkpoint c = HfCheckpoint.read(plain);
        assertEquals(10000f, c.config().ropeTheta());
        float[][] lc = logits(c.weights());
        assertArrayEquals(la[0], lc[0], 0f, "position 0 has no rotation");
        double d = maxDiff(la[TOKENS.length - 1], lc[TOKENS.length - 1]);
        assertTrue(d > 1e-2, "wrong RoPE changes later logits, max difference " + d);
    }

    @Test
    void v5DefaultTypeCarriesOnlyTheta() throws Exception {
        LlamaConfig c = new LlamaConfig(32, 48, 1, 4, 2, 40, 64, 1e-6f, 1000000f, null, false, false);
        Path dir = tmp.resolve("d");
        HfCheckpoint.write(dir, WeightsAssert.random(c, 2), null, null, SafetensorsWriter.DType.F32);
        ObjectNode cfg = config(dir);
        cfg.remove("rope_theta");
        cfg.remove("rope_scaling");
        cfg.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 1000000.0);
        Files.writeString(dir.resolve("config.json"), cfg.toPrettyString());
        assertEquals(c, HfCheckpoint.read(dir).config());
    }

    @Test
    void unimplementedRopeIsRefusedByName() throws Exception {
        Path dir = tmp.resolve("bad");
        HfCheckpoint.write(dir, WeightsAssert.random(LLAMA3, 4), null, null, SafetensorsWriter.DType.F32);
        ObjectNode base = config(dir);
        base.remove("rope_theta");
        base.remove("rope_scaling");
        base.remove("rope_parameters"); // we write both layouts; each case below sets the one it tests
        String[][] cases = {
                {"{\"rope_type\":\"yarn\",\"rope_theta\":10000,\"factor\":4}", "rope_parameters type 'yarn' is not supported"},
                {"{\"rope_type\":\"linear\",\"rope_theta\":10000,\"factor\":2}", "'linear'"},
                {"{\"rope_type\":\"llama3\",\"rope_theta\":500000,\"factor\":8,\"low_freq_factor\":1,\"high_freq_factor\":4}", "rope_parameters.original_max_position_embeddings' is missing"},
                {"{\"full_attention\":{\"rope_type\":\"default\",\"rope_theta\":10000},\"sliding_attention\":{\"rope_type\":\"default\",\"rope_theta\":10000}}", "per layer type (full_attention, sliding_attention)"},
                {"{\"rope_type\":\"default\",\"rope_theta\":-1}", "rope_parameters.rope_theta' must be a positive number"},
        };
        for (String[] c : cases) {
            ObjectNode cfg = base.deepCopy();
            cfg.set("rope_parameters", JSON.readTree(c[0]));
            Files.writeString(dir.resolve("config.json"), cfg.toPrettyString());
            var e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.read(dir), c[0]);
            assertTrue(e.getMessage().contains(c[1]) && e.getMessage().contains("config.json"), e.getMessage());
        }
        // v4 layout: the older "type" key and a dynamic scaling are refused too.
        ObjectNode v4 = base.deepCopy();
        v4.put("rope_theta", 10000.0);
        v4.set("rope_scaling", JSON.readTree("{\"type\":\"dynamic\",\"factor\":2}"));
        Files.writeString(dir.resolve("config.json"), v4.toPrettyString());
        var e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.read(dir));
        assertTrue(e.getMessage().contains("rope_scaling type 'dynamic' is not supported"), e.getMessage());
        // Both layouts present and contradicting each other.
        ObjectNode both = base.deepCopy();
        both.put("rope_theta", 10000.0);
        both.set("rope_parameters", JSON.readTree("{\"rope_type\":\"default\",\"rope_theta\":500000}"));
        Files.writeString(dir.resolve("config.json"), both.toPrettyString());
        e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.read(dir));
        assertTrue(e.getMessage().contains("contradicts rope_parameters.rope_theta"), e.getMessage());
        // partial rotary embeddings
        ObjectNode partial = base.deepCopy();
        partial.set("rope_parameters", JSON.readTree("{\"rope_type\":\"default\",\"rope_theta\":10000}"));
        partial.put("partial_rotary_factor", 0.5);
        Files.writeString(dir.resolve("config.json"), partial.toPrettyString());
        e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.read(dir));
        assertTrue(e.getMessage().contains("partial_rotary_factor 0.5"), e.getMessage());
    }

    private ObjectNode config(Path dir) throws Exception {
        return (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
    }

    private Path copy(Path from, String name) throws Exception {
        Path to = tmp.resolve(name);
        Files.createDirectories(to);
        try (var s = Files.list(from)) {
            for (Path f : s.toList()) Files.copy(f, to.resolve(f.getFileName()));
        }
        return to;
    }

    /** Logits at every position of {@link #TOKENS}, one token at a time on one thread. */
    private static float[][] logits(LlamaWeights w) {
        float[][] out = new float[TOKENS.length][];
        try (var team = new ThreadTeam(1)) {
            var t = new Transformer(w, 1, team);
            int slot = t.cache().allocate(TOKENS.length + 1);
            for (int i = 0; i < TOKENS.length; i++) {
                t.forward(1, new int[] {slot}, new int[] {TOKENS[i]}, new int[] {i}, new int[] {0}, 1);
                out[i] = java.util.Arrays.copyOf(t.logits(), w.config.vocabSize());
            }
        }
        return out;
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
