package dev.selftaught.engine.format;

import de.kherud.llama.LlamaModel;
import dev.selftaught.engine.format.gguf.GgufCheckpoint;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.testutil.LlamaCpp;
import dev.selftaught.engine.testutil.Stories260K;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

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
        LlamaCpp.useLibraryDir(tmp, "jllama-lib");
        try (LlamaModel model = LlamaCpp.open(gguf, 256)) {
            int[] cont = LlamaCpp.assertSameGreedyText(ours, model, "Once upon a time", 30, "stories260K");
            assertTrue(cont.length >= 20, "the comparison needs a real continuation, got " + Arrays.toString(cont));
        }
    }

    /**
     * Random models of the two other shapes our writer emits: llama with GQA, an untied head and
     * Llama-3 rope scaling (rope_freqs.weight), and qwen2 with q/k/v biases, a tied head, NEOX
     * rotary layout and a byte-level BPE vocabulary. llama.cpp must tokenize and continue as we do.
     */
    @Test
    void llamaCppAgreesOnRandomLlama3ScaledAndQwen2Models() throws Exception {
        LlamaCpp.useLibraryDir(tmp, "jllama-lib2");
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
            try (LlamaModel model = LlamaCpp.open(f, 128)) {
                int[] cont = LlamaCpp.assertSameGreedyText(ours, model, c.prompt(), 12, c.name());
                assertTrue(cont.length >= 6, c.name() + ": the comparison needs a real continuation, got " + Arrays.toString(cont));
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
}
