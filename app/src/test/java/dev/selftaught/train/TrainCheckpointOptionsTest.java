package dev.selftaught.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.selftaught.cli.Main;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code selftaught train --dtype bf16 --max-shard-size 100KB} on stories260K: the same training
 * as the F32 default, written as BF16 shards with an index, config.json naming the dtype, and the
 * weights exactly the F32 run's rounded to BF16; a bad size is refused before training.
 */
@ExtendWith(SharedData.class)
class TrainCheckpointOptionsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void bf16ShardedOutputIsTheF32RunRounded(@TempDir Path dir) throws Exception {
        Path rows = EmbeddedTrainerTest.rows(dir);
        String base = "embedded:" + EmbeddedTrainerTest.BASE;
        Path f32 = dir.resolve("f32"), bf16 = dir.resolve("bf16");
        List<String> common = List.of("train", "--base", base, "--data", rows.toString(), "--epochs", "2", "--lr", "1e-3", "--threads", "2");
        assertEquals(0, Main.commandLine().execute(args(common, "--out", f32.toString())));
        assertEquals(0, Main.commandLine().execute(args(common, "--out", bf16.toString(), "--dtype", "bf16", "--max-shard-size", "100KB")));

        assertTrue(Files.isRegularFile(f32.resolve("model.safetensors")), "F32 default below 5GB: one file");
        assertFalse(Files.exists(f32.resolve("model.safetensors.index.json")));
        assertFalse(Files.exists(bf16.resolve("model.safetensors")), "sharded output has no single file");
        JsonNode index = JSON.readTree(bf16.resolve("model.safetensors.index.json").toFile());
        java.util.Set<String> shardNames = new java.util.TreeSet<>();
        index.get("weight_map").elements().forEachRemaining(n -> shardNames.add(n.asText()));
        int shards = shardNames.size();
        assertTrue(shards >= 3, "260K parameters in BF16 (~0.5 MB) over 100KB shards: " + shards + " shards");
        for (Path out : List.of(f32, bf16)) {
            for (String f : List.of("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
                assertTrue(Files.isRegularFile(out.resolve(f)), out + ": " + f + " missing");
            }
        }
        assertEquals("float32", JSON.readTree(f32.resolve("config.json").toFile()).get("torch_dtype").asText());
        assertEquals("bfloat16", JSON.readTree(bf16.resolve("config.json").toFile()).get("torch_dtype").asText());
        assertEquals("bfloat16", JSON.readTree(bf16.resolve("config.json").toFile()).get("dtype").asText());

        LlamaWeights a = ModelLoader.load(f32).weights(), b = ModelLoader.load(bf16).weights();
        float[][] pairs = {a.tokenEmbedding, b.tokenEmbedding, a.wq[0], b.wq[0], a.w2[a.config.nLayers() - 1], b.w2[b.config.nLayers() - 1], a.finalNorm, b.finalNorm};
        for (int k = 0; k < pairs.length; k += 2) {
            for (int i = 0; i < pairs[k].length; i++) {
                assertEquals(bf16(pairs[k][i]), pairs[k + 1][i], 0f, "tensor " + k / 2 + " element " + i);
            }
        }

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(2, cl.execute(args(common, "--out", dir.resolve("bad").toString(), "--max-shard-size", "5 gigs")));
        assertTrue(err.toString().contains("max_shard_size '5 gigs' is not a size"), err.toString());
        assertFalse(Files.exists(dir.resolve("bad/config.json")));
    }

    private static String[] args(List<String> common, String... more) {
        List<String> all = new java.util.ArrayList<>(common);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    /** Round to nearest even at 16 bits, independently of the writer. */
    private static float bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int lower = bits & 0xFFFF, upper = bits & 0xFFFF0000;
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 0x10000) != 0)) upper += 0x10000;
        return Float.intBitsToFloat(upper);
    }
}
