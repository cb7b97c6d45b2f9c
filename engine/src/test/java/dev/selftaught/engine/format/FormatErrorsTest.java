package dev.selftaught.engine.format;

import dev.selftaught.engine.format.gguf.GgmlType;
import dev.selftaught.engine.format.gguf.GgufCheckpoint;
import dev.selftaught.engine.format.gguf.GgufFile;
import dev.selftaught.engine.format.hf.HfCheckpoint;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.format.hf.SentencePieceModelFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Broken files are refused with a message naming the file and what is wrong where; never an index error. */
class FormatErrorsTest {
    @TempDir Path tmp;

    static final LlamaConfig C = new LlamaConfig(16, 24, 1, 2, 1, 20, 32, 1e-5f, 10000f, null, false, false);

    /** Asserts a ModelFormatException (the engine-wide type) whose message contains every fragment. */
    static String refused(Executable e, String... fragments) {
        dev.selftaught.engine.model.ModelFormatException x = assertThrows(dev.selftaught.engine.model.ModelFormatException.class, e);
        for (String f : fragments) assertTrue(x.getMessage().contains(f), "message '" + x.getMessage() + "' lacks '" + f + "'");
        return x.getMessage();
    }

    /** A GGUF file written byte by byte, so that any type id, version or inconsistency can be made. */
    static final class RawGguf {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        void u32(int v) { out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array()); }
        void u64(long v) { out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array()); }
        void str(String s) { byte[] b = s.getBytes(StandardCharsets.UTF_8); u64(b.length); out.writeBytes(b); }
        void kvString(String k, String v) { str(k); u32(8); str(v); }
        void kvU32(String k, int v) { str(k); u32(4); u32(v); }
        void pad(int a) { while (out.size() % a != 0) out.write(0); }
        byte[] bytes() { return out.toByteArray(); }
    }

    /** One tensor of the given type id and dims, data filled with a pattern of {@code dataBytes} bytes. */
    static byte[] oneTensorGguf(int version, int typeId, long[] dims, int dataBytes) {
        RawGguf g = new RawGguf();
        g.u32(GgufFile.MAGIC);
        g.u32(version);
        g.u64(1);
        g.u64(1);
        g.kvString("general.architecture", "llama");
        g.str("blk.0.attn_q.weight");
        g.u32(dims.length);
        for (long d : dims) g.u64(d);
        g.u32(typeId);
        g.u64(0);
        g.pad(32);
        for (int i = 0; i < dataBytes; i++) g.out.write(i * 31);
        return g.bytes();
    }

    @Test
    void ggufWrongMagicAndVersion() throws Exception {
        Path f = tmp.resolve("bad.gguf");
        Files.write(f, "GGML and more bytes here".getBytes(StandardCharsets.US_ASCII));
        refused(() -> GgufFile.open(f), f.toString(), "wrong magic", "offset 0");
        Files.write(f, oneTensorGguf(1, 0, new long[] {4}, 16));
        refused(() -> GgufFile.open(f), "unsupported GGUF version 1");
    }

    @Test
    void ggufUnsupportedTensorTypeNamesTensorAndType() throws Exception {
        Path f = tmp.resolve("q5k.gguf");
        Files.write(f, oneTensorGguf(3, 13, new long[] {256, 1}, 176));   // 13 = Q5_K
        try (GgufFile g = GgufFile.open(f)) {
            refused(() -> g.readFloats(g.tensor("blk.0.attn_q.weight")), f.toString(), "blk.0.attn_q.weight", "unsupported type Q5_K", "offset");
        }
    }

    @Test
    void ggufQuantizedRowsMustBeWholeBlocksAndDataMustBeThere() throws Exception {
        Path f = tmp.resolve("q8.gguf");
        Files.write(f, oneTensorGguf(3, GgmlType.Q8_0.id, new long[] {40, 1}, 68));
        try (GgufFile g = GgufFile.open(f)) {
            refused(() -> g.readFloats(g.tensor("blk.0.attn_q.weight")), "blk.0.attn_q.weight", "row length 40", "block size 32");
        }
        Files.write(f, oneTensorGguf(3, GgmlType.Q8_0.id, new long[] {64, 2}, 100));   // needs 4 blocks = 136 bytes
        try (GgufFile g = GgufFile.open(f)) {
            refused(() -> g.readFloats(g.tensor("blk.0.attn_q.weight")), "truncated", "blk.0.attn_q.weight", "needs 136 bytes");
        }
        // And a real Q8_0 tensor read through the file: 2 rows of 32, d = 1 (f16 0x3C00), q = byte pattern.
        byte[] data = new byte[68];
        for (int blk = 0; blk < 2; blk++) {
            data[34 * blk] = 0x00;
            data[34 * blk + 1] = 0x3C;
            for (int j = 0; j < 32; j++) data[34 * blk + 2 + j] = (byte) (j - 16 + blk);
        }
        byte[] file = oneTensorGguf(3, GgmlType.Q8_0.id, new long[] {32, 2}, 0);
        byte[] whole = Arrays.copyOf(file, file.length + data.length);
        System.arraycopy(data, 0, whole, file.length, data.length);
        Files.write(f, whole);
        try (GgufFile g = GgufFile.open(f)) {
            float[] y = g.readFloats(g.tensor("blk.0.attn_q.weight"));
            assertEquals(-16f, y[0]);
            assertEquals(16f, y[63]);   // second block: j=31 -> 31-16+1
        }
    }

    @Test
    void ggufTruncatedAnywhereIsRefusedCleanly() throws Exception {
        Path good = tmp.resolve("good.gguf");
        LlamaWeights w = WeightsAssert.random(C, 1);
        GgufCheckpoint.write(good, w, null, "{{ x }}", GgufCheckpoint.Precision.F16, "t");
        byte[] all = Files.readAllBytes(good);
        Path cut = tmp.resolve("cut.gguf");
        for (int len = 0; len < all.length; len += Math.max(1, all.length / 97)) {
            Files.write(cut, Arrays.copyOf(all, len));
            try {
                GgufCheckpoint.read(cut);
                fail("a file cut at " + len + " of " + all.length + " bytes was accepted");
            } catch (dev.selftaught.engine.model.ModelFormatException e) {
                assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
            }
        }
    }

    @Test
    void ggufWithCorruptedHeaderBytesIsReadOrRefusedButNeverCrashes() throws Exception {
        // Byte-level BPE vocabulary and template in the header; flip random header bytes.
        var v = dev.selftaught.engine.tokenizer.TokenizerJsonTest.byteLevel();
        LlamaConfig c = new LlamaConfig(16, 24, 1, 2, 1, v.size(), 32, 1e-5f, 10000f, null, true, true);
        Path good = tmp.resolve("fuzz-src.gguf");
        GgufCheckpoint.write(good, WeightsAssert.random(c, 4), dev.selftaught.engine.tokenizer.Tokenizers.fromVocabulary(v),
                "{{ messages }}", GgufCheckpoint.Precision.F32, "fuzz");
        byte[] all = Files.readAllBytes(good);
        long dataStart;
        try (GgufFile g = GgufFile.open(good)) { dataStart = g.dataStart(); }
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(99);
        Path f = tmp.resolve("fuzz.gguf");
        int refusedCount = 0;
        for (int trial = 0; trial < 300; trial++) {
            byte[] b = all.clone();
            for (int k = 0; k < 3; k++) b[rnd.nextInt((int) dataStart)] = (byte) rnd.nextInt(256);
            Files.write(f, b);
            try {
                GgufCheckpoint.read(f);
            } catch (dev.selftaught.engine.model.ModelFormatException e) {
                refusedCount++;
                assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            } catch (RuntimeException e) {
                throw new AssertionError("trial " + trial + ": " + e, e);
            }
        }
        assertTrue(refusedCount > 0, "some corruptions must be detected");
    }

    @Test
    void ggufShapeInconsistentWithMetadataNamesTensor() throws Exception {
        // A file whose metadata says dim 16 but whose attn_k has 2 rows (kv dim 8 expected).
        LlamaConfig other = new LlamaConfig(16, 24, 1, 2, 2, 20, 32, 1e-5f, 10000f, null, false, false);
        Path f = tmp.resolve("shapes.gguf");
        GgufCheckpoint.write(f, WeightsAssert.random(other, 2), null, null, GgufCheckpoint.Precision.F32, "t");
        // Rewrite head_count_kv from 2 to 1 in place: metadata now implies attn_k of 8 rows, the tensor has 16.
        byte[] b = Files.readAllBytes(f);
        byte[] key = "llama.attention.head_count_kv".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(b, key) + key.length + 4;   // skip the u32 type
        assertEquals(2, b[at]);
        b[at] = 1;
        Files.write(f, b);
        refused(() -> GgufCheckpoint.read(f), f.toString(), "blk.0.attn_k.weight", "[16, 16]", "[16, 8]");
    }

    @Test
    void ggufAbsurdDimsAndOffsetsAreRefused() throws Exception {
        Path f = tmp.resolve("absurd.gguf");
        Files.write(f, oneTensorGguf(3, 0, new long[] {1L << 30, 1L << 30}, 16));
        refused(() -> GgufFile.open(f), f.toString(), "blk.0.attn_q.weight", "more than the file can hold");
        byte[] b = oneTensorGguf(3, 0, new long[] {4}, 16);
        // The tensor offset is the u64 just before the padding: set it to 2^63 + 32 (negative as a Java long).
        int offAt = indexOf(b, "blk.0.attn_q.weight".getBytes(StandardCharsets.US_ASCII)) + 19 + 4 + 8 + 4;
        ByteBuffer.wrap(b, offAt, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MIN_VALUE + 32);
        Files.write(f, b);
        refused(() -> GgufFile.open(f), "blk.0.attn_q.weight", "beyond the end of the file");
    }

    @Test
    void ggufMissingTensorAndArchitecture() throws Exception {
        Path f = tmp.resolve("missing.gguf");
        Files.write(f, oneTensorGguf(3, 0, new long[] {4}, 16));
        refused(() -> GgufCheckpoint.read(f), f.toString(), "token_embd.weight", "missing");
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    @Test
    void safetensorsTruncatedHeaderAndShapes() throws Exception {
        Path dir = tmp.resolve("hf");
        HfCheckpoint.write(dir, WeightsAssert.random(C, 3), null, null, SafetensorsWriter.DType.F16);
        Path st = dir.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(st);
        // Cut inside the data: the last tensor's data_offsets no longer fit.
        Files.write(st, Arrays.copyOf(all, all.length - 10));
        refused(() -> ModelLoader.load(dir), st.toString(), "lm_head.weight", "truncated");
        // Cut inside the header.
        Files.write(st, Arrays.copyOf(all, 40));
        refused(() -> ModelLoader.load(dir), st.toString(), "header length");
        // Not a safetensors file at all.
        Files.write(st, "{\"not\": \"safetensors\"}".getBytes(StandardCharsets.US_ASCII));
        refused(() -> ModelLoader.load(dir), st.toString());
        // config.json disagrees with the tensors: intermediate_size 24 -> 30.
        Files.write(st, all);
        Path cfg = dir.resolve("config.json");
        String json = Files.readString(cfg);
        Files.writeString(cfg, json.replace("\"intermediate_size\" : 24", "\"intermediate_size\" : 30"));
        refused(() -> ModelLoader.load(dir), st.toString(), "model.layers.0.mlp.gate_proj.weight", "[24, 16]", "[30, 16]");
        // Unsupported architecture named.
        Files.writeString(cfg, json.replace("LlamaForCausalLM", "GPTNeoXForCausalLM").replace("\"llama\"", "\"gpt_neox\""));
        refused(() -> ModelLoader.load(dir), cfg.toString(), "GPTNeoXForCausalLM");
    }

    @Test
    void safetensorsUnsupportedDtypeNamesTensor() throws Exception {
        Path f = tmp.resolve("i64.safetensors");
        String header = "{\"x\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}";
        ByteBuffer b = ByteBuffer.allocate(8 + header.length() + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        Files.write(f, b.array());
        try (var s = dev.selftaught.engine.format.hf.SafetensorsFile.open(f)) {
            refused(() -> s.readFloats(s.tensors().get("x")), f.toString(), "'x'", "unsupported dtype I64");
        }
    }

    @Test
    void sentencePieceModelGarbageIsRefused() throws Exception {
        Path f = tmp.resolve("tokenizer.model");
        Files.write(f, new byte[] {0x0A, (byte) 0xFF, (byte) 0xFF, 0x0F, 1, 2});
        refused(() -> SentencePieceModelFile.read(f), f.toString(), "truncated protobuf");
    }
}
