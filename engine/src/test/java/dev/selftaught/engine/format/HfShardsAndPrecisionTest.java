package dev.selftaught.engine.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.selftaught.engine.format.hf.HfCheckpoint;
import dev.selftaught.engine.format.hf.SafetensorsFile;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.format.hf.ShardSize;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static dev.selftaught.engine.testutil.TorchReference.engineLogits;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Sharded safetensors with {@code model.safetensors.index.json} above a size limit, and BF16/F16
 * weights: the files are laid out as transformers writes them, and our own loader reads every
 * variant back to the F32 checkpoint's logits — exactly for F32 shards, exactly the logits of the
 * rounded weights for F16/BF16, and within the dtype's tolerance of the F32 logits.
 */
class HfShardsAndPrecisionTest {
    @TempDir Path tmp;
    static final ObjectMapper JSON = new ObjectMapper();
    static final LlamaConfig LLAMA = new LlamaConfig(64, 96, 3, 8, 2, 50, 64, 1e-5f, 500000f,
            new LlamaConfig.RopeScaling(8f, 1f, 4f, 8192), false, false);
    static final int[] IDS = {1, 17, 4, 33, 49, 2, 8, 21};

    @Test
    void shardSizesParseLikeTransformers() {
        assertEquals(5_000_000_000L, ShardSize.parse("5GB"));
        assertEquals(500_000_000L, ShardSize.parse("500MB"));
        assertEquals(2L << 30, ShardSize.parse("2GiB"));
        assertEquals(200_000L, ShardSize.parse("200kb"));
        assertEquals(1234L, ShardSize.parse("1234"));
        assertEquals(ShardSize.parse("5GB"), ShardSize.parse(ShardSize.DEFAULT));
        for (String bad : new String[] {"", "5 gigs", "-1GB", "0", "GB"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShardSize.parse(bad), bad);
            assertTrue(e.getMessage().contains("max_shard_size"), e.getMessage());
        }
    }

    @Test
    void aboveTheLimitTheWeightsAreShardedWithAnIndex() throws Exception {
        LlamaWeights w = WeightsAssert.random(LLAMA, 21);
        Path dir = tmp.resolve("sharded");
        long limit = 40_000; // bytes: the 50x64 F32 embedding (12,800 B) and a layer's matrices fill a few shards
        HfCheckpoint.write(dir, w, null, null, SafetensorsWriter.DType.F32, limit);
        assertFalse(Files.exists(dir.resolve("model.safetensors")), "sharded: no single file (loaders would prefer it)");
        JsonNode index = JSON.readTree(dir.resolve("model.safetensors.index.json").toFile());
        assertTrue(index.get("metadata").get("total_size").isIntegralNumber());
        JsonNode map = index.get("weight_map");
        Set<String> shards = new TreeSet<>();
        map.elements().forEachRemaining(s -> shards.add(s.asText()));
        int n = shards.size();
        assertTrue(n >= 3, "expected several shards, got " + shards);
        Pattern name = Pattern.compile("model-(\\d{5})-of-(\\d{5})\\.safetensors");
        long totalBytes = 0;
        Set<String> inFiles = new TreeSet<>();
        int k = 0;
        for (String s : shards) {
            var m = name.matcher(s);
            assertTrue(m.matches(), s);
            assertEquals(++k, Integer.parseInt(m.group(1)), "shards numbered 1..N in order");
            assertEquals(n, Integer.parseInt(m.group(2)));
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(s))) {
                long bytes = 0;
                for (SafetensorsFile.Tensor t : f.tensors().values()) {
                    bytes += t.end() - t.begin();
                    assertEquals(s, map.get(t.name()).asText(), "weight_map names the shard holding " + t.name());
                    assertTrue(inFiles.add(t.name()), t.name() + " stored twice");
                }
                assertTrue(bytes <= limit || f.tensors().size() == 1, s + " holds " + bytes + " bytes over the limit");
                assertEquals("pt", f.metadata().get("format"));
                totalBytes += bytes;
            }
        }
        assertEquals(totalBytes, index.get("metadata").get("total_size").asLong(), "total_size = tensor data bytes over all shards");
        Set<String> mapped = new TreeSet<>();
        map.fieldNames().forEachRemaining(mapped::add);
        assertEquals(mapped, inFiles, "every stored tensor is in the index, and only those");
        WeightsAssert.assertSame(w, HfCheckpoint.read(dir).weights());

        // Rewriting the directory below the limit goes back to one file and removes shards and index.
        HfCheckpoint.write(dir, w, null, null, SafetensorsWriter.DType.F32);
        try (var files = Files.list(dir)) {
            assertEquals(Set.of("config.json", "generation_config.json", "model.safetensors"),
                    new TreeSet<>(files.map(p -> p.getFileName().toString()).toList()));
        }
        // ... and sharding again removes the single file.
        HfCheckpoint.write(dir, w, null, null, SafetensorsWriter.DType.BF16, limit / 2);
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")));
    }

    @Test
    void bf16F16AndShardedCheckpointsGiveTheF32LogitsWithinTheDtypesTolerance() throws Exception {
        LlamaWeights w = WeightsAssert.random(LLAMA, 8);
        HfCheckpoint.write(tmp.resolve("f32"), w, null, null, SafetensorsWriter.DType.F32);
        float[][] f32 = engineLogits(HfCheckpoint.read(tmp.resolve("f32")).weights(), IDS);
        assertArrayEquals(flat(engineLogits(w, IDS)), flat(f32), 0f, "F32 file = weights in memory, bit for bit");

        HfCheckpoint.write(tmp.resolve("f32-shards"), w, null, null, SafetensorsWriter.DType.F32, 30_000);
        assertArrayEquals(flat(f32), flat(engineLogits(HfCheckpoint.read(tmp.resolve("f32-shards")).weights(), IDS)), 0f, "F32 shards: bit-identical logits");

        // Tolerances: the logits' worst deviation from F32, relative to the largest logit. BF16 keeps 8
        // significant bits (relative rounding error <= 2^-9), F16 11 (<= 2^-12). Through 3 layers the
        // deviation measured here is 3.4e-3 (BF16) and 3.6e-4 (F16); the bounds, 2^-6 and 2^-9, leave ~5x.
        Map<String, Object[]> variants = Map.of(
                "bf16", new Object[] {SafetensorsWriter.DType.BF16, 0L, (java.util.function.DoubleUnaryOperator) WriterRoundTripTest::bf16, 1.0 / 64},
                "bf16-shards", new Object[] {SafetensorsWriter.DType.BF16, 20_000L, (java.util.function.DoubleUnaryOperator) WriterRoundTripTest::bf16, 1.0 / 64},
                "f16", new Object[] {SafetensorsWriter.DType.F16, 0L, (java.util.function.DoubleUnaryOperator) x -> Float.float16ToFloat(Float.floatToFloat16((float) x)), 1.0 / 512});
        for (var e : variants.entrySet()) {
            Object[] v = e.getValue();
            Path dir = tmp.resolve(e.getKey());
            HfCheckpoint.write(dir, w, null, null, (SafetensorsWriter.DType) v[0], (Long) v[1] == 0 ? ShardSize.parse("5GB") : (Long) v[1]);
            assertEquals((Long) v[1] != 0, Files.exists(dir.resolve("model.safetensors.index.json")), e.getKey());
            float[][] got = engineLogits(HfCheckpoint.read(dir).weights(), IDS);
            // Exact: the logits of the F32 weights rounded to the dtype in memory.
            float[][] rounded = engineLogits(round(w, (java.util.function.DoubleUnaryOperator) v[2]), IDS);
            assertArrayEquals(flat(rounded), flat(got), 0f, e.getKey() + ": logits of the rounded weights");
            double rel = maxRel(got, f32);
            assertTrue(rel > 0, e.getKey() + ": rounding must change something (else the test proves nothing)");
            assertTrue(rel <= (Double) v[3], e.getKey() + ": logits differ from F32 by " + rel + " of the largest logit");
            System.out.printf("%s: max |logit - F32 logit| = %.2e of the largest logit%n", e.getKey(), rel);
        }
    }

    /** A copy of {@code w} with every value rounded by {@code r} (what a 16-bit file stores). */
    static LlamaWeights round(LlamaWeights w, java.util.function.DoubleUnaryOperator r) {
        LlamaWeights c = new LlamaWeights(w.config);
        copy(w.tokenEmbedding, c.tokenEmbedding, r);
        if (!w.config.tiedEmbeddings()) copy(w.output, c.output, r);
        copy(w.finalNorm, c.finalNorm, r);
        for (int l = 0; l < w.config.nLayers(); l++) {
            copy(w.wq[l], c.wq[l], r); copy(w.wk[l], c.wk[l], r); copy(w.wv[l], c.wv[l], r); copy(w.wo[l], c.wo[l], r);
            copy(w.w1[l], c.w1[l], r); copy(w.w2[l], c.w2[l], r); copy(w.w3[l], c.w3[l], r);
            copy(w.attnNorm[l], c.attnNorm[l], r); copy(w.ffnNorm[l], c.ffnNorm[l], r);
        }
        return c;
    }

    private static void copy(float[] from, float[] to, java.util.function.DoubleUnaryOperator r) {
        for (int i = 0; i < from.length; i++) to[i] = (float) r.applyAsDouble(from[i]);
    }

    static float[] flat(float[][] a) {
        float[] r = new float[a.length * a[0].length];
        for (int i = 0; i < a.length; i++) System.arraycopy(a[i], 0, r, i * a[0].length, a[i].length);
        return r;
    }

    static double maxRel(float[][] a, float[][] b) {
        double d = 0, s = 0;
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[i].length; j++) { d = Math.max(d, Math.abs(a[i][j] - b[i][j])); s = Math.max(s, Math.abs(b[i][j])); }
        return d / s;
    }
}
