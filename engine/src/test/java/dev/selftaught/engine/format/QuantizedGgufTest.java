package dev.selftaught.engine.format;

import de.kherud.llama.LlamaModel;
import dev.selftaught.engine.format.gguf.Dequantize;
import dev.selftaught.engine.format.gguf.GgmlType;
import dev.selftaught.engine.format.gguf.GgufCheckpoint;
import dev.selftaught.engine.format.gguf.Quantize;
import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.testutil.Greedy;
import dev.selftaught.engine.testutil.LlamaCpp;
import dev.selftaught.engine.testutil.Stories260K;
import dev.selftaught.engine.tokenizer.Tokenizer;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GGUF files in every encoding the writer makes, read back with their matrices left in the mapped
 * file: the encoders round-trip within each format's step, the forward pass over the mapped file
 * matches a float64 transcription of the model run on the dequantized weights of the same file,
 * and llama.cpp continues the same prompt with the same greedy tokens.
 */
class QuantizedGgufTest {
    @TempDir Path tmp;

    enum Type { F32, F16, BF16, Q8_0, Q4_0, Q4_K }

    @ParameterizedTest
    @EnumSource(Type.class)
    void encodersRoundTripWithinTheFormatsStep(Type type) {
        GgmlType t = GgmlType.valueOf(type.name());
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 4096;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * 0.02);
        byte[] b = Quantize.encode(t, x, 0, n);
        assertEquals(t.bytesFor(n), b.length);
        float[] y = new float[n];
        Dequantize.toFloats(MemorySegment.ofArray(b), 0, t, y, 0, n);
        double se = 0, ss = 0;
        for (int i = 0; i < n; i++) { se += (x[i] - y[i]) * (double) (x[i] - y[i]); ss += x[i] * (double) x[i]; }
        double relRms = Math.sqrt(se / ss);
        // bounds from the step of each format: 8-bit ~1/127 of the block max, 4-bit ~1/15 of the range
        double bound = switch (type) { case F32 -> 0; case F16 -> 1e-3; case BF16 -> 5e-3; case Q8_0 -> 0.01; case Q4_0 -> 0.15; case Q4_K -> 0.12; };
        assertTrue(relRms <= bound, type + " relative RMS error " + relRms + " above " + bound);
        if (type != Type.F32) assertTrue(relRms > 0, "a lossy format changes something");
        if (type == Type.Q8_0 || type == Type.Q4_0) {
            // every value within half a step of the original (plus the f16 rounding of the scale);
            // Q4_0's codes run -8..7, so the end opposite the block's largest magnitude may clip by a whole step
            for (int blk = 0; blk < n / 32; blk++) {
                float d = Math.abs(Float.float16ToFloat((short) ((b[blk * t.blockBytes] & 0xFF) | (b[blk * t.blockBytes + 1] << 8))));
                for (int j = 0; j < 32; j++) {
                    int i = blk * 32 + j;
                    assertTrue(Math.abs(x[i] - y[i]) <= (type == Type.Q4_0 ? 1f : 0.5f) * d * 1.01f + 1e-9f, type + " value " + i + ": " + x[i] + " -> " + y[i] + " step " + d);
                }
            }
        }
    }

    static LlamaConfig shape() {
        // rows of 256 so that Q4_K fits; GQA with 2 query heads per KV head; untied head
        return new LlamaConfig(256, 512, 2, 4, 2, 512, 128, 1e-5f, 10000f, null, false, false);
    }

    private Path write(Type type) throws Exception {
        Tokenizer tok = ModelLoader.load(Stories260K.checkpoint()).tokenizer();
        Path file = tmp.resolve("random-" + type + ".gguf");
        GgufCheckpoint.writeRandom(file, shape(), tok, GgmlType.valueOf(type.name()), 11, "random");
        return file;
    }

    @ParameterizedTest
    @EnumSource(Type.class)
    void mappedForwardMatchesFloat64OnTheSameFile(Type type) throws Exception {
        LoadedModel m = ModelLoader.load(write(type));
        assertEquals(type.name(), m.tensors().encodings(), "matrices stay in the file's encoding");
        int[] tokens = {1, 300, 45, 200, 7, 99, 400, 12};
        double[] ref = dev.selftaught.engine.infer.ReferenceForwardTest.reference(m.weights(), tokens);
        float[] ours = lastLogits(m, tokens);
        double scale = 0;
        for (double v : ref) scale = Math.max(scale, Math.abs(v));
        assertTrue(scale > 0.1, "logits spread, got max " + scale);
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], ours[i], 2e-4 * scale, type + " logit " + i);
    }

    /** Prefill in one forward call of all the prompt's rows, as the generator does. */
    static float[] lastLogits(LoadedModel m, int[] tokens) {
        try (ThreadTeam team = new ThreadTeam(2)) {
            Transformer t = new Transformer(m.tensors(), tokens.length, 1, team);
            int slot = t.cache().allocate(tokens.length);
            int[] slots = new int[tokens.length], pos = new int[tokens.length];
            for (int i = 0; i < tokens.length; i++) pos[i] = i;
            Arrays.fill(slots, slot);
            t.forward(tokens.length, slots, tokens, pos, new int[] {tokens.length - 1}, 1);
            return Arrays.copyOf(t.logits(), m.config().vocabSize());
        }
    }

    /**
     * Largest logit error llama.cpp's 8-bit rounding of activations can plausibly cause on this
     * model: its quantized dot products round x to 1/127 of each 32-value block's maximum, a
     * relative error of about 0.2-0.4% per product, and logits here spread by about 1, so 0.05
     * is several times the expected error. A tie closer than this may go either way.
     */
    static final float ACTIVATION_ROUNDING_TOLERANCE = 0.05f;

    /**
     * llama.cpp on the same files. F32/F16/BF16: greedy ids equal ours for 32 tokens. Quantized:
     * llama.cpp rounds activations to 8 bits for its dot products (we keep them in float, see
     * Matrix), so a near-tie may flip: the continuations must agree up to the first step whose
     * top-two gap (ours, which matches the float64 reference) is within that rounding error, and
     * any divergence must happen at such a step.
     */
    @Test
    void llamaCppContinuesLikeUsOnEveryEncoding() throws Exception {
        LlamaCpp.useLibraryDir(tmp, "jllama-lib");
        String prompt = "Once upon a time";
        for (Type type : Type.values()) {
            Path file = write(type);
            LoadedModel ours = ModelLoader.load(file);
            Tokenizer tok = ours.tokenizer();
            try (LlamaModel cpp = LlamaCpp.open(file, 128)) {
                if (type == Type.F32 || type == Type.F16 || type == Type.BF16) {
                    int[] cont = LlamaCpp.assertSameGreedyText(ours, cpp, prompt, 32, type.name());
                    assertTrue(cont.length >= 16, type + ": the comparison needs a real continuation, got " + Arrays.toString(cont));
                    continue;
                }
                int agreed = 0;
                for (String p : new String[] {prompt, "The little dog", "She was happy"}) {
                    agreed += agreeingTokens(ours, cpp, p, type);
                }
                assertTrue(agreed >= 16, type + ": too short an agreement over three prompts to mean anything (" + agreed + " tokens)");
            }
        }
    }

    /** Tokens of our greedy continuation llama.cpp reproduces; fails when it departs before our first near-tie. */
    private static int agreeingTokens(LoadedModel ours, LlamaModel cpp, String prompt, Type type) {
        Tokenizer tok = ours.tokenizer();
        int[] promptIds = tok.encode(prompt, true);
        int[] cont = Greedy.untilStop(Greedy.continuation(ours, promptIds, 32), tok);
        float[] gaps = Greedy.topTwoGaps(ours, promptIds, 32);
        String theirs = LlamaCpp.greedyText(cpp, prompt, 32);
        int agree = 0;
        while (agree < cont.length && theirs.startsWith(Greedy.textAfter(tok, promptIds, Arrays.copyOf(cont, agree + 1)))) agree++;
        int firstNearTie = 0;
        while (firstNearTie < cont.length && gaps[firstNearTie] > ACTIVATION_ROUNDING_TOLERANCE) firstNearTie++;
        assertTrue(agree >= Math.min(firstNearTie, cont.length), type + " '" + prompt + "': ours " + Arrays.toString(cont) + " gaps "
                + Arrays.toString(gaps) + " vs llama.cpp '" + theirs + "': diverges at token " + agree
                + " although no near-tie comes before token " + firstNearTie);
        return agree;
    }
}
