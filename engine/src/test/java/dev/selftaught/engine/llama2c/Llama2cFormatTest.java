package dev.selftaught.engine.llama2c;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.model.ModelFormatException;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.testutil.Stories260K;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** llama2.c checkpoints and tokenizers: real files, writer round trips, refusal of bad files. */
class Llama2cFormatTest {
    @TempDir Path tmp;

    static void assertSameWeights(LlamaWeights a, LlamaWeights b) {
        assertEquals(a.config, b.config);
        assertArrayEquals(a.tokenEmbedding, b.tokenEmbedding);
        for (int l = 0; l < a.config.nLayers(); l++) {
            assertArrayEquals(a.attnNorm[l], b.attnNorm[l]);
            assertArrayEquals(a.wq[l], b.wq[l]);
            assertArrayEquals(a.wk[l], b.wk[l]);
            assertArrayEquals(a.wv[l], b.wv[l]);
            assertArrayEquals(a.wo[l], b.wo[l]);
            assertArrayEquals(a.ffnNorm[l], b.ffnNorm[l]);
            assertArrayEquals(a.w1[l], b.w1[l]);
            assertArrayEquals(a.w2[l], b.w2[l]);
            assertArrayEquals(a.w3[l], b.w3[l]);
        }
        assertArrayEquals(a.finalNorm, b.finalNorm);
        assertArrayEquals(a.output, b.output);
    }

    @Test
    void stories260KHeaderAndRoundTripAreExact() throws Exception {
        LlamaWeights w = Llama2cCheckpoint.read(Stories260K.checkpoint());
        LlamaConfig c = w.config;
        assertEquals(List.of(64, 172, 5, 8, 4, 512, 512), List.of(c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.vocabSize(), c.maxSeqLen()));
        assertTrue(c.tiedEmbeddings());
        assertSame(w.tokenEmbedding, w.output);
        Path out = tmp.resolve("copy.bin");
        Llama2cCheckpoint.write(w, out);
        byte[] orig = Files.readAllBytes(Stories260K.checkpoint()), copy = Files.readAllBytes(out);
        assertEquals(orig.length, copy.length);
        // Everything but the two RoPE tables run.c ignores is byte-identical.
        long ropeStart = Llama2cCheckpoint.expectedSize(c) - 4L * c.maxSeqLen() * c.headSize();
        assertArrayEquals(Arrays.copyOf(orig, (int) ropeStart), Arrays.copyOf(copy, (int) ropeStart));
        assertSameWeights(w, Llama2cCheckpoint.read(out));
    }

    @Test
    void untiedRandomModelRoundTripsBitExactly() throws Exception {
        LlamaConfig c = new LlamaConfig(48, 80, 3, 6, 2, 70, 24, 1e-5f, 10000f, null, false, false);
        LlamaWeights w = new LlamaWeights(c).initRandom(11);
        Path f = tmp.resolve("m.bin");
        Llama2cCheckpoint.write(w, f);
        assertEquals(Llama2cCheckpoint.expectedSize(c), Files.size(f));
        LlamaWeights back = Llama2cCheckpoint.read(f);
        assertFalse(back.config.tiedEmbeddings(), "negative vocab_size marks an untied head");
        assertNotSame(back.tokenEmbedding, back.output);
        assertSameWeights(w, back);
        Path f2 = tmp.resolve("m2.bin");
        Llama2cCheckpoint.write(back, f2);
        assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(f2));
    }

    @Test
    void badFilesAreRefusedWithTheReason() throws Exception {
        Path tiny = tmp.resolve("tiny.bin");
        Files.write(tiny, new byte[10]);
        var e1 = assertThrows(ModelFormatException.class, () -> Llama2cCheckpoint.read(tiny));
        assertTrue(e1.getMessage().contains("tiny.bin") && e1.getMessage().contains("too short"), e1.getMessage());

        Path trunc = tmp.resolve("trunc.bin");
        byte[] all = Files.readAllBytes(Stories260K.checkpoint());
        Files.write(trunc, Arrays.copyOf(all, all.length - 100));
        var e2 = assertThrows(ModelFormatException.class, () -> ModelLoader.load(trunc));
        assertTrue(e2.getMessage().contains("truncated"), e2.getMessage());

        Path text = tmp.resolve("notes.bin");
        Files.writeString(text, "this is not a checkpoint at all, just text");
        var e3 = assertThrows(ModelFormatException.class, () -> Llama2cCheckpoint.read(text));
        assertTrue(e3.getMessage().contains("header field"), e3.getMessage());

        Path gguf = tmp.resolve("x.gguf");
        Files.write(gguf, "GGUF\3\0\0\0".getBytes(StandardCharsets.ISO_8859_1));
        assertThrows(ModelFormatException.class, () -> ModelLoader.load(gguf));

        Path badTok = tmp.resolve("tok9.bin");
        Files.write(badTok, new byte[] {16, 0, 0, 0, 0, 0, (byte) 0x80, 0x3f, 99, 0, 0, 0, 'a'});
        var e4 = assertThrows(ModelFormatException.class, () -> Llama2cTokenizer.read(badTok));
        assertTrue(e4.getMessage().contains("token 0") && e4.getMessage().contains("length 99"), e4.getMessage());
    }

    @Test
    void loaderFindsTheTokenizerBesideTheCheckpoint() throws Exception {
        LoadedModel byDir = ModelLoader.load(Stories260K.dir());
        assertEquals(Stories260K.checkpoint().getFileName(), byDir.files().get(0).getFileName());
        assertEquals("tok512.bin", byDir.files().get(1).getFileName().toString());
        assertEquals(512, byDir.tokenizer().vocabSize());
        assertEquals(null, byDir.chatTemplate());

        Path empty = Files.createDirectory(tmp.resolve("empty"));
        var e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(empty));
        assertTrue(e.getMessage().contains("no model checkpoint"), e.getMessage());
        Path lone = Files.createDirectory(tmp.resolve("lone"));
        Files.copy(Stories260K.checkpoint(), lone.resolve("model.bin"));
        var e2 = assertThrows(ModelFormatException.class, () -> ModelLoader.load(lone));
        assertTrue(e2.getMessage().contains("no llama2.c tokenizer"), e2.getMessage());
    }

    /** run.c's encode, transcribed literally (rescans after each merge): the oracle for the fast merge. */
    static int[] naiveEncode(Llama2cTokenizer t, String text, boolean bos) {
        List<Integer> ids = new ArrayList<>();
        if (bos) ids.add(1);
        int start = ids.size();
        java.util.Map<String, Integer> lookup = new java.util.HashMap<>();
        for (int i = t.vocabSize() - 1; i >= 0; i--) lookup.put(t.piece(i), i);
        if (!text.isEmpty()) ids.add(lookup.get(" "));
        text.codePoints().forEach(cp -> {
            String ch = new String(Character.toChars(cp));
            Integer id = lookup.get(ch);
            if (id != null) ids.add(id);
            else for (byte b : ch.getBytes(StandardCharsets.UTF_8)) ids.add((b & 0xFF) + 3);
        });
        while (true) {
            float best = -1e10f;
            int bestId = -1, bestIdx = -1;
            for (int i = start; i < ids.size() - 1; i++) {
                Integer id = lookup.get(t.piece(ids.get(i)) + t.piece(ids.get(i + 1)));
                if (id != null && t.score(id) > best) { best = t.score(id); bestId = id; bestIdx = i; }
            }
            if (bestIdx < 0) break;
            ids.set(bestIdx, bestId);
            ids.remove(bestIdx + 1);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void encodeMatchesRunCAndDecodeRoundTrips() {
        Llama2cTokenizer t = Llama2cTokenizer.read(Stories260K.tokenizer());
        String[] texts = {"Once upon a time, there was a little girl named Lily.", "Hello world", "  two  spaces ",
                "digits 12345", "caf\u00e9 \u00fcber na\u00efve", "\u65e5\u672c\u8a9e", "emoji \uD83D\uDE00!", "line\nbreak\ttab", ""};
        for (String s : texts) {
            int[] ids = t.encode(s, true);
            assertArrayEquals(naiveEncode(t, s, true), ids, "encoding of \"" + s + "\"");
            assertEquals(1, ids[0]);
            assertEquals(s, t.decode(ids), "round trip of \"" + s + "\"");
        }
        // The verified greedy continuation decodes, token by token, to the verified text.
        assertTrue(t.encode("Once upon a time", false).length < "Once upon a time".length(), "merges happened");
        // An invalid UTF-8 byte sequence decodes to U+FFFD.
        int[] lone = {1, 0xC3 + 3};
        assertEquals("\uFFFD", t.decode(lone));
    }

    @Test
    void tokenizerWriterRoundTrips() throws Exception {
        Llama2cTokenizer t = Llama2cTokenizer.read(Stories260K.tokenizer());
        Path out = tmp.resolve("tok512.bin");
        t.write(out);
        assertArrayEquals(Files.readAllBytes(Stories260K.tokenizer()), Files.readAllBytes(out));
    }
}
