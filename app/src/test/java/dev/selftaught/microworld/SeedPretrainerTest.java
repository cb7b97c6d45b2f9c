package dev.selftaught.microworld;

import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class SeedPretrainerTest {

    /** A seed small enough to train twice in a test. */
    static SeedRecipe micro() {
        return new SeedRecipe(32, 64, 1, 2, 384, 128, 400, 200, 1, 1024, 3e-3f, 5, 2);
    }

    @Test
    void pretrainingIsDeterministicCachedAndLoadable(@TempDir Path tmp) throws Exception {
        var log = new ByteArrayOutputStream();
        var err = new PrintStream(log, true);
        SeedPretrainer.Result a = SeedPretrainer.ensure(micro(), tmp.resolve("a"), false, err);
        SeedPretrainer.Result b = SeedPretrainer.ensure(micro(), tmp.resolve("b"), false, err);
        assertFalse(a.cached());
        assertArrayEquals(Files.readAllBytes(a.dir().resolve("model.bin")), Files.readAllBytes(b.dir().resolve("model.bin")),
                "same recipe, same bytes");
        assertArrayEquals(Files.readAllBytes(a.dir().resolve("tok384.bin")), Files.readAllBytes(b.dir().resolve("tok384.bin")));
        assertTrue(a.finalLoss() < 5.0, "loss fell from ln(384)=5.95: " + a.finalLoss());
        assertTrue(log.toString().contains("pretrain: done"), log.toString());

        SeedPretrainer.Result again = SeedPretrainer.ensure(micro(), tmp.resolve("a"), false, err);
        assertTrue(again.cached());
        assertEquals(a.dir(), again.dir());

        LoadedModel m = ModelLoader.load(a.dir());
        assertEquals(micro().config().dim(), m.config().dim());
        assertEquals(384, m.tokenizer().vocabSize());
        // the embedded backend feeds the seed exactly the prompt tokens it was pre-trained on
        var tok = (dev.selftaught.engine.llama2c.Llama2cTokenizer) m.tokenizer();
        try (var model = new dev.selftaught.llm.embedded.EmbeddedModel(m, a.dir(), 1)) {
            for (Corpus.Conversation c : Corpus.build(77, 200, java.util.Set.of())) {
                int[] prompt = model.promptTokens(dev.selftaught.llm.ModelRequest.chat(c.prompt(),
                        dev.selftaught.llm.SamplingParams.greedy(4)));
                int[] whole = tok.encode(SeedPretrainer.text(c), true);
                assertTrue(prompt.length < whole.length);
                assertArrayEquals(prompt, java.util.Arrays.copyOf(whole, prompt.length), "prompt is a prefix: " + c);
            }
            var reply = model.complete(dev.selftaught.llm.ModelRequest.chat(
                    java.util.List.of(dev.selftaught.data.ChatMessage.user("What is 2 + 3?")), dev.selftaught.llm.SamplingParams.greedy(8)));
            assertEquals(1, reply.completions().size());
        }
        // no trainer state is left beside the cache entry
        try (var s = Files.list(tmp.resolve("a"))) {
            assertEquals(1, s.count());
        }
    }
}
