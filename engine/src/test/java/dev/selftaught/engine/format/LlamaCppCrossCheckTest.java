package dev.selftaught.engine.format;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import dev.selftaught.engine.format.gguf.GgufCheckpoint;
import dev.selftaught.engine.model.LoadedModel;
import dev.selftaught.engine.model.ModelLoader;
import dev.selftaught.engine.testutil.Stories260K;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp (through the de.kherud:llama JNI binding, tests only) as an independent engine: the
 * GGUF our writer makes from stories260K must tokenize the prompt like our tokenizer and produce,
 * greedily, the same continuation as our engine.
 */
class LlamaCppCrossCheckTest {
    @TempDir Path tmp;

    @Test
    void llamaCppGeneratesTheSameGreedyTextFromOurGguf() throws Exception {
        LoadedModel ours = ModelLoader.load(Stories260K.checkpoint());
        Path gguf = tmp.resolve("stories260K-f32.gguf");
        GgufCheckpoint.write(gguf, ours.weights(), ours.tokenizer(), null, GgufCheckpoint.Precision.F32, "stories260K");

        // The binding deletes every llama*/jllama* file in its temp dir when it loads: give it its own.
        Path libDir = Files.createDirectories(tmp.resolve("jllama-lib"));
        System.setProperty("de.kherud.llama.tmpdir", libDir.toString());

        String prompt = "Once upon a time";
        int steps = 30;
        int[] promptIds = ours.tokenizer().encode(prompt, true);
        // Our engine: greedy from BOS + prompt.
        int[] all = Arrays.copyOf(promptIds, promptIds.length + steps);
        int[] continuation = greedyContinuation(ours, promptIds, steps);
        System.arraycopy(continuation, 0, all, promptIds.length, steps);
        String ourText = ours.tokenizer().decode(Arrays.copyOfRange(all, promptIds.length, all.length));

        try (LlamaModel model = new LlamaModel(new ModelParameters().setModel(gguf.toString()).setCtxSize(256).setThreads(1)
                .setThreadsBatch(1).setBatchSize(64).setUbatchSize(64).setSeed(1))) {
            int[] cppIds = model.encode(prompt);
            int[] oursNoBos = Arrays.copyOfRange(promptIds, 1, promptIds.length);
            int[] cppNoBos = cppIds.length > 0 && cppIds[0] == ours.tokenizer().bos() ? Arrays.copyOfRange(cppIds, 1, cppIds.length) : cppIds;
            assertArrayEquals(oursNoBos, cppNoBos, "llama.cpp tokenizes the prompt as we do");
            String cppText = model.complete(new InferenceParameters(prompt).setTemperature(0f).setTopK(1).setRepeatPenalty(1f)
                    .setNPredict(steps).setSeed(1).setCachePrompt(false));
            assertEquals(ourText, cppText, "greedy continuation of '" + prompt + "'");
        }
    }

    /**
     * Random models of the two other shapes our writer emits: llama with GQA, an untied head and
     * Llama-3 rope scaling (rope_freqs.weight), and qwen2 with q/k/v biases, a tied head, NEOX
     * rotary layout and a byte-level BPE vocabulary. llama.cpp must tokenize and continue as we do.
     */
    @Test
    void llamaCppAgreesOnRandomLlama3ScaledAndQwen2Models() throws Exception {
        Path libDir = Files.createDirectories(tmp.resolve("jllama-lib2"));
        System.setProperty("de.kherud.llama.tmpdir", libDir.toString());
        LoadedModel stories = ModelLoader.load(Stories260K.checkpoint());
        var spVocab = Vocabularies.of(stories.tokenizer());
        var bpeVocab = dev.selftaught.engine.tokenizer.TokenizerJsonTest.byteLevel();
        dev.selftaught.engine.model.LlamaConfig llama = new dev.selftaught.engine.model.LlamaConfig(64, 96, 2, 4, 2, spVocab.size(), 256,
                1e-5f, 500000f, new dev.selftaught.engine.model.LlamaConfig.RopeScaling(8f, 1f, 4f, 64), false, false);
        dev.selftaught.engine.model.LlamaConfig qwen = new dev.selftaught.engine.model.LlamaConfig(64, 96, 2, 4, 2, bpeVocab.size(), 256,
                1e-6f, 1000000f, null, true, true);
        record Case(String name, dev.selftaught.engine.model.LlamaConfig config, dev.selftaught.engine.tokenizer.Vocabulary vocab, String prompt) {}
        for (Case c : new Case[] {new Case("llama3-scaled", llama, spVocab, "Once upon a time"), new Case("qwen2", qwen, bpeVocab, "hello the world")}) {
            var w = WeightsAssert.random(c.config(), 42);
            sharpen(w);
            var tok = dev.selftaught.engine.tokenizer.Tokenizers.fromVocabulary(c.vocab());
            Path f = tmp.resolve(c.name() + ".gguf");
            GgufCheckpoint.write(f, w, tok, null, GgufCheckpoint.Precision.F32, c.name());
            LoadedModel ours = ModelLoader.load(f);
            int[] prompt = ours.tokenizer().encode(c.prompt(), true);
            int steps = 12;
            int[] cont = greedyContinuation(ours, prompt, steps);
            // llama.cpp ends generation at a stop token; compare up to the first one.
            java.util.Set<Integer> stops = new java.util.HashSet<>();
            for (int s : ours.tokenizer().stopIds()) stops.add(s);
            int end = 0;
            while (end < steps && !stops.contains(cont[end])) end++;
            String ourText = ours.tokenizer().decode(Arrays.copyOf(cont, end));
            assertTrue(end >= 6, c.name() + ": the comparison needs a real continuation, got " + Arrays.toString(cont));
            System.out.println(c.name() + " continuation: " + Arrays.toString(cont) + " '" + ourText + "'");
                try (LlamaModel model = new LlamaModel(new ModelParameters().setModel(f.toString()).setCtxSize(128).setThreads(1)
                    .setThreadsBatch(1).setBatchSize(64).setUbatchSize(64).setSeed(1))) {
                int[] cppIds = model.encode(c.prompt());
                int[] oursNoBos = Arrays.copyOfRange(prompt, 1, prompt.length);
                int[] cppNoBos = cppIds.length > 0 && cppIds[0] == ours.tokenizer().bos() ? Arrays.copyOfRange(cppIds, 1, cppIds.length) : cppIds;
                assertArrayEquals(oursNoBos, cppNoBos, c.name() + ": prompt tokens");
                String cppText = model.complete(new InferenceParameters(c.prompt()).setTemperature(0f).setTopK(1).setRepeatPenalty(1f)
                        .setNPredict(steps).setSeed(1).setCachePrompt(false));
                assertEquals(ourText, cppText, c.name() + ": greedy continuation of " + Arrays.toString(prompt) + " = " + Arrays.toString(cont));
            }
        }
    }

    /** Scales the random matrices up so that logits are well separated and argmax is not a near-tie. */
    private static void sharpen(dev.selftaught.engine.model.LlamaWeights w) {
        java.util.function.Consumer<float[]> x8 = a -> { for (int i = 0; i < a.length; i++) a[i] *= 8f; };
        x8.accept(w.tokenEmbedding);
        if (w.output != w.tokenEmbedding) x8.accept(w.output);
        for (int l = 0; l < w.config.nLayers(); l++) {
            x8.accept(w.wq[l]); x8.accept(w.wk[l]); x8.accept(w.wv[l]); x8.accept(w.wo[l]);
            x8.accept(w.w1[l]); x8.accept(w.w2[l]); x8.accept(w.w3[l]);
        }
    }

    private static int[] greedyContinuation(LoadedModel m, int[] prompt, int steps) {
        try (var team = new dev.selftaught.engine.kernel.ThreadTeam(1)) {
            var t = new dev.selftaught.engine.infer.Transformer(m.weights(), 1, team);
            int slot = t.cache().allocate(prompt.length + steps + 1);
            int v = m.config().vocabSize();
            int[] out = new int[steps];
            int pos = 0, next = -1;
            for (int tok : prompt) { next = step(t, slot, tok, pos++, v); }
            for (int i = 0; i < steps; i++) {
                out[i] = next;
                next = step(t, slot, next, pos++, v);
            }
            return out;
        }
    }

    private static int step(dev.selftaught.engine.infer.Transformer t, int slot, int tok, int pos, int v) {
        t.forward(1, new int[] {slot}, new int[] {tok}, new int[] {pos}, new int[] {0}, 1);
        float[] l = t.logits();
        int best = 0;
        for (int i = 1; i < v; i++) if (l[i] > l[best]) best = i;
        return best;
    }
}
