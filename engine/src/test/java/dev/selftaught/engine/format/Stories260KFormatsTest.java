package dev.selftaught.engine.format;

import dev.selftaught.engine.format.gguf.GgufCheckpoint;
import dev.selftaught.engine.format.hf.HfCheckpoint;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.testutil.Stories260K;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The real stories260K checkpoint (loaded by the llama2.c reader) written by our GGUF and
 * safetensors writers and read back: bit-identical weights, bit-identical logits, the verified
 * greedy ids, and a tokenizer that encodes like llama2.c's.
 */
class Stories260KFormatsTest {
    @TempDir static Path tmp;
    static LoadedModel original;
    static Path gguf, hfDir;
    static final String TEMPLATE = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}";

    @BeforeAll
    static void write() throws Exception {
        original = ModelLoader.load(Stories260K.checkpoint());
        gguf = tmp.resolve("stories260K.gguf");
        GgufCheckpoint.write(gguf, original.weights(), original.tokenizer(), TEMPLATE, GgufCheckpoint.Precision.F32, "stories260K");
        hfDir = tmp.resolve("hf");
        HfCheckpoint.write(hfDir, original.weights(), original.tokenizer(), TEMPLATE, SafetensorsWriter.DType.F32);
    }

    @Test
    void ggufRoundTripIsBitIdenticalWithSameLogitsAndGreedyIds() throws Exception {
        LoadedModel back = ModelLoader.load(gguf);
        check(back);
    }

    @Test
    void safetensorsRoundTripIsBitIdenticalWithSameLogitsAndGreedyIds() throws Exception {
        LoadedModel back = ModelLoader.load(hfDir);
        check(back);
        assertEquals(hfDir.resolve("config.json"), back.files().get(0));
    }

    private static void check(LoadedModel back) throws Exception {
        WeightsAssert.assertSame(original.weights(), back.weights());
        assertArrayEquals(logits(original), logits(back), "logits of the first 8 verified positions");
        assertArrayEquals(Stories260K.verifiedGreedyIds(), greedy(back, 40));
        // Tokenizer: the exported SentencePiece vocabulary encodes and decodes like llama2.c's tokenizer.
        for (String s : new String[] {"Once upon a time, there was a little girl named Lily.", "Tom   and\nSue 42!", "héllo 😀 日本"}) {
            assertArrayEquals(original.tokenizer().encode(s, true), back.tokenizer().encode(s, true), s);
            assertEquals(original.tokenizer().decode(original.tokenizer().encode(s, true)), back.tokenizer().decode(back.tokenizer().encode(s, true)));
        }
        assertEquals(Stories260K.verifiedGreedyText(), back.tokenizer().decode(Stories260K.verifiedGreedyIds()));
        assertNotNull(back.chatTemplate());
        assertEquals("user: hi\n", back.chatTemplate().render(java.util.List.of(new dev.selftaught.engine.chat.ChatTemplate.Turn("user", "hi")), false));
    }

    /** Logits of all positions for BOS + the first verified ids, in one prefill. */
    static float[] logits(LoadedModel m) throws Exception {
        int[] ids = Stories260K.verifiedGreedyIds();
        int n = 8;
        try (ThreadTeam team = new ThreadTeam(1)) {
            Transformer t = new Transformer(m.weights(), n, team);
            int slot = t.cache().allocate(n);
            int[] slots = new int[n], toks = new int[n], pos = new int[n], rows = new int[n];
            for (int i = 0; i < n; i++) { slots[i] = slot; toks[i] = i == 0 ? m.tokenizer().bos() : ids[i - 1]; pos[i] = i; rows[i] = i; }
            t.forward(n, slots, toks, pos, rows, n);
            return java.util.Arrays.copyOf(t.logits(), n * m.config().vocabSize());
        }
    }

    static int[] greedy(LoadedModel m, int steps) {
        try (ThreadTeam team = new ThreadTeam(1)) {
            Transformer t = new Transformer(m.weights(), 1, team);
            int slot = t.cache().allocate(steps + 1);
            int[] out = new int[steps];
            int tok = m.tokenizer().bos();
            int v = m.config().vocabSize();
            for (int p = 0; p < steps; p++) {
                t.forward(1, new int[] {slot}, new int[] {tok}, new int[] {p}, new int[] {0}, 1);
                float[] l = t.logits();
                int best = 0;
                for (int i = 1; i < v; i++) if (l[i] > l[best]) best = i;
                out[p] = tok = best;
            }
            return out;
        }
    }
}
