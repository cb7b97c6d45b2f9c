package dev.selftaught.engine.format;

import dev.selftaught.engine.format.gguf.GgufCheckpoint;
import dev.selftaught.engine.format.gguf.GgufFile;
import dev.selftaught.engine.format.hf.HfCheckpoint;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Weights written by our GGUF and safetensors writers read back bit-identically (F32) or exactly rounded (F16/BF16). */
class WriterRoundTripTest {
    @TempDir Path tmp;

    /** GQA, untied head, Llama-3 rope scaling. */
    static final LlamaConfig LLAMA = new LlamaConfig(32, 48, 2, 4, 2, 40, 64, 1e-5f, 500000f,
            new LlamaConfig.RopeScaling(8f, 1f, 4f, 8192), false, false);
    /** Qwen2 variant: q/k/v biases, tied head. */
    static final LlamaConfig QWEN = new LlamaConfig(32, 40, 2, 4, 1, 36, 128, 1e-6f, 1000000f, null, true, true);

    @Test
    void ggufF32IsBitIdenticalForLlamaAndQwen2() throws Exception {
        for (LlamaConfig c : new LlamaConfig[] {LLAMA, QWEN}) {
            LlamaWeights w = WeightsAssert.random(c, 7);
            Path f = tmp.resolve("m" + c.qkvBias() + ".gguf");
            GgufCheckpoint.write(f, w, null, "{{ bos_token }}", GgufCheckpoint.Precision.F32, "test");
            Checkpoint back = GgufCheckpoint.read(f);
            WeightsAssert.assertSame(w, back.weights());
            assertEquals("{{ bos_token }}", back.chatTemplate());
            assertNull(back.tokenizer());
            try (GgufFile g = GgufFile.open(f)) {
                assertEquals(3, g.version());
                assertEquals(c.qkvBias() ? "qwen2" : "llama", g.getString("general.architecture"));
                assertEquals(c.tiedEmbeddings(), g.tensor("output.weight") == null);
                assertEquals(0, g.tensor("blk.1.ffn_up.weight").dataOffset() % 32, "tensor data aligned");
            }
            assertFalse(Files.list(tmp).anyMatch(p -> p.toString().endsWith(".tmp")), "no temp file left behind");
            assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), "readable by a model server of another user");
        }
    }

    @Test
    void llama3RopeScalingIsRecoveredFromRopeFreqsAlone() {
        // Files from other converters hold only rope_freqs.weight: Llama-3.2's parameters come back from it.
        LlamaConfig.RopeScaling s = new LlamaConfig.RopeScaling(32f, 1f, 4f, 8192);
        float[] divisors = RopeLayout.llama3FrequencyDivisors(s, 500000f, 64);
        assertEquals(1f, divisors[0]);                    // highest frequency untouched
        assertEquals(32f, divisors[31], 1e-3f);           // lowest frequency divided by the factor
        assertEquals(s, GgufCheckpoint.inferLlama3Scaling(tmp.resolve("x.gguf"), divisors, 500000f, 64));
        float[] plain = new float[32];
        java.util.Arrays.fill(plain, 1f);
        assertNull(GgufCheckpoint.inferLlama3Scaling(tmp.resolve("x.gguf"), plain, 500000f, 64));
    }

    @Test
    void ggufF16RoundsMatricesOnceAndKeepsNormsF32() throws Exception {
        LlamaWeights w = WeightsAssert.random(LLAMA, 11);
        Path f = tmp.resolve("m16.gguf");
        GgufCheckpoint.write(f, w, null, null, GgufCheckpoint.Precision.F16, "test");
        Checkpoint back = GgufCheckpoint.read(f);
        WeightsAssert.assertSame(w, back.weights(), x -> Float.float16ToFloat(Float.floatToFloat16((float) x)));
        assertTrue(Files.size(f) < 4L * LLAMA.parameterCount(), "F16 file is smaller than F32 weights");
    }

    @Test
    void safetensorsF32IsBitIdenticalAndBf16Rounds() throws Exception {
        for (LlamaConfig c : new LlamaConfig[] {LLAMA, QWEN}) {
            LlamaWeights w = WeightsAssert.random(c, 3);
            Path dir = tmp.resolve("hf" + c.qkvBias());
            HfCheckpoint.write(dir, w, null, null, SafetensorsWriter.DType.F32);
            assertTrue(HfCheckpoint.isHfDirectory(dir));
            WeightsAssert.assertSame(w, HfCheckpoint.read(dir).weights());

            Path dir16 = tmp.resolve("hfbf" + c.qkvBias());
            HfCheckpoint.write(dir16, w, null, null, SafetensorsWriter.DType.BF16);
            // Expected: round to nearest even at 16 bits, computed here independently of the writer.
            WeightsAssert.assertSame(withBf16Norms(w), HfCheckpoint.read(dir16).weights(), WriterRoundTripTest::bf16);
        }
    }

    @Test
    void byteLevelTokenizerAndTemplateSurviveGgufAndHf() throws Exception {
        dev.selftaught.engine.tokenizer.Vocabulary v = dev.selftaught.engine.tokenizer.TokenizerJsonTest.byteLevel();
        LlamaConfig c = new LlamaConfig(32, 40, 1, 4, 1, v.size(), 128, 1e-6f, 1000000f, null, true, true);
        LlamaWeights w = WeightsAssert.random(c, 5);
        dev.selftaught.engine.tokenizer.Tokenizer tok = dev.selftaught.engine.tokenizer.Tokenizers.fromVocabulary(v);
        String template = dev.selftaught.engine.chat.JinjaChatTemplate.DEFAULT_SOURCE;
        Path gguf = tmp.resolve("bpe.gguf");
        GgufCheckpoint.write(gguf, w, tok, template, GgufCheckpoint.Precision.F32, "bpe");
        Path dir = tmp.resolve("bpe-hf");
        HfCheckpoint.write(dir, w, tok, template, SafetensorsWriter.DType.F32);
        for (Checkpoint back : new Checkpoint[] {GgufCheckpoint.read(gguf), HfCheckpoint.read(dir)}) {
            WeightsAssert.assertSame(w, back.weights());
            assertEquals(template, back.chatTemplate());
            for (String s : new String[] {"hello the world", "x<|eot_id|>y", "日本 🦙"}) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(tok.encodeWithSpecials(s, true), back.tokenizer().encodeWithSpecials(s, true), s);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(tok.stopIds(), back.tokenizer().stopIds());
            assertEquals(tok.bos(), back.tokenizer().bos());
        }
    }

    @Test
    void tokenizerSmallerThanTheEmbeddingIsPaddedInGguf() throws Exception {
        // Like Qwen2: the embedding has more rows than the tokenizer has tokens.
        dev.selftaught.engine.tokenizer.Vocabulary v = dev.selftaught.engine.tokenizer.TokenizerJsonTest.byteLevel();
        LlamaConfig c = new LlamaConfig(32, 40, 1, 4, 1, v.size() + 7, 128, 1e-6f, 1000000f, null, true, true);
        LlamaWeights w = WeightsAssert.random(c, 6);
        Path gguf = tmp.resolve("padded.gguf");
        GgufCheckpoint.write(gguf, w, dev.selftaught.engine.tokenizer.Tokenizers.fromVocabulary(v), null, GgufCheckpoint.Precision.F32, "p");
        Checkpoint back = GgufCheckpoint.read(gguf);
        WeightsAssert.assertSame(w, back.weights());
        assertEquals(v.size() + 7, back.tokenizer().vocabSize());
        assertEquals("[PAD" + v.size() + "]", back.tokenizer().vocabulary().orElseThrow().tokens().get(v.size()));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {262, 257, 260, 258}, back.tokenizer().encode("hello the", true));
    }

    @Test
    void shardedSafetensorsWithIndex() throws Exception {
        LlamaWeights w = WeightsAssert.random(LLAMA, 9);
        Path dir = tmp.resolve("sharded");
        HfCheckpoint.write(dir, w, null, null, SafetensorsWriter.DType.F32);
        // Split the single file into two shards by tensor name and write the index the HF way.
        Path single = dir.resolve("model.safetensors");
        java.util.Map<String, String> weightMap = new java.util.TreeMap<>();
        SafetensorsWriter a = new SafetensorsWriter(), b = new SafetensorsWriter();
        try (dev.selftaught.engine.format.hf.SafetensorsFile f = dev.selftaught.engine.format.hf.SafetensorsFile.open(single)) {
            for (var t : f.tensors().values()) {
                boolean first = !t.name().startsWith("model.layers.1.") && !t.name().equals("lm_head.weight");
                (first ? a : b).add(t.name(), SafetensorsWriter.DType.F32, f.readFloats(t), t.shape());
                weightMap.put(t.name(), first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
            }
        }
        a.write(dir.resolve("model-00001-of-00002.safetensors"));
        b.write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.delete(single);
        var index = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        index.putObject("metadata").put("total_size", 4L * LLAMA.parameterCount());
        var map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toPrettyString());
        assertTrue(HfCheckpoint.isHfDirectory(dir));
        WeightsAssert.assertSame(w, HfCheckpoint.read(dir).weights());
    }

    /** BF16 files hold norms in BF16 too; pre-round them so the comparison of norms is exact. */
    private static LlamaWeights withBf16Norms(LlamaWeights w) {
        for (float[] a : w.attnNorm) round(a);
        for (float[] a : w.ffnNorm) round(a);
        round(w.finalNorm);
        if (w.bq != null) { for (float[] a : w.bq) round(a); for (float[] a : w.bk) round(a); for (float[] a : w.bv) round(a); }
        return w;
    }

    private static void round(float[] a) { for (int i = 0; i < a.length; i++) a[i] = (float) bf16(a[i]); }

    static double bf16(double x) {
        float f = (float) x;
        int bits = Float.floatToRawIntBits(f);
        int lower = bits & 0xFFFF;
        int upper = bits & 0xFFFF0000;
        // round half to even on the dropped 16 bits
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 0x10000) != 0)) upper += 0x10000;
        return Float.intBitsToFloat(upper);
    }
}
