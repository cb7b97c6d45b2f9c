package dev.selftaught.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.testutil.Stories260K;
import org.junit.jupiter.api.Test;

/** The forward pass on real weights, checked against llama2.c's greedy output for stories260K. */
class TransformerGreedyTest {

    static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
        return best;
    }

    /** Greedy decoding one token per forward call, from BOS. */
    static int[] greedy(LoadedModel m, int threads, int steps) {
        try (ThreadTeam team = new ThreadTeam(threads)) {
            Transformer t = new Transformer(m.weights(), 4, team);
            int slot = t.cache().allocate(steps + 1);
            int[] out = new int[steps];
            int tok = m.tokenizer().bos();
            for (int pos = 0; pos < steps; pos++) {
                t.forward(1, new int[] {slot}, new int[] {tok}, new int[] {pos}, new int[] {0}, 1);
                tok = argmax(t.logits(), 0, m.config().vocabSize());
                out[pos] = tok;
            }
            return out;
        }
    }

    @Test
    void greedyFromBosMatchesLlama2cOracle() throws Exception {
        LoadedModel m = ModelLoader.load(Stories260K.dir());
        int[] expected = Stories260K.verifiedGreedyIds();
        assertEquals(40, expected.length);
        int[] got = greedy(m, 1, expected.length);
        assertArrayEquals(expected, got);
        assertEquals(Stories260K.verifiedGreedyText(), m.tokenizer().decode(got));
    }

    @Test
    void twoThreadsGiveTheSameTokens() throws Exception {
        LoadedModel m = ModelLoader.load(Stories260K.checkpoint());
        assertArrayEquals(Stories260K.verifiedGreedyIds(), greedy(m, 2, 40));
    }

    @Test
    void prefillAsOneMatrixEqualsTokenByToken() throws Exception {
        LoadedModel m = ModelLoader.load(Stories260K.checkpoint());
        int[] ids = Stories260K.verifiedGreedyIds();
        int n = 12;
        int vocab = m.config().vocabSize();
        try (ThreadTeam team = new ThreadTeam(2)) {
            Transformer a = new Transformer(m.weights(), 16, team);
            int sa = a.cache().allocate(32);
            int[] slots = new int[n], toks = new int[n], pos = new int[n], rows = new int[n];
            for (int i = 0; i < n; i++) { slots[i] = sa; toks[i] = i == 0 ? 1 : ids[i - 1]; pos[i] = i; rows[i] = i; }
            a.forward(n, slots, toks, pos, rows, n);
            float[] batched = a.logits().clone();

            Transformer b = new Transformer(m.weights(), 1, team);
            int sb = b.cache().allocate(32);
            for (int i = 0; i < n; i++) {
                b.forward(1, new int[] {sb}, new int[] {toks[i]}, new int[] {i}, new int[] {0}, 1);
                for (int j = 0; j < vocab; j++) {
                    assertEquals(Float.floatToIntBits(b.logits()[j]), Float.floatToIntBits(batched[i * vocab + j]),
                            "row " + i + " logit " + j + " differs between prefill and step-by-step");
                }
            }
        }
    }
}
