package dev.selftaught.llm.embedded;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.selftaught.data.InputError;
import dev.selftaught.engine.chat.ChatTemplate;
import dev.selftaught.engine.chat.DefaultChatTemplate;
import dev.selftaught.engine.llama2c.Llama2cCheckpoint;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.SamplingParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded engine through the {@link LanguageModel} interface, on the real stories260K model. */
class EmbeddedModelTest {
    static Path dir;
    static LanguageModel model;
    static String greedyText;

    @BeforeAll
    static void open() throws Exception {
        dir = Path.of(System.getProperty("shared.data", "../shared/data"), "llama2c_stories260K");
        greedyText = Files.readAllLines(dir.resolve("VERIFY_greedy_output.txt")).get(1);
        model = ModelFactory.open("embedded:" + dir, ModelOptions.defaults());
    }

    @AfterAll
    static void close() { model.close(); }

    @Test
    void emptyRawPromptAtTemperatureZeroDecodesFromBos() {
        ModelResponse r = model.complete(ModelRequest.completion("", SamplingParams.greedy(40)));
        assertEquals(List.of(greedyText), r.texts());
        assertEquals("length", r.completions().get(0).finishReason());
        assertEquals(1, r.usage().promptTokens());
        assertEquals(40, r.usage().completionTokens());
    }

    @Test
    void rawPromptContinuesTheText() {
        ModelResponse r = model.complete(ModelRequest.completion("Once upon a time, there was a little girl named Lily.",
                SamplingParams.greedy(10)));
        // The oracle's continuation of exactly this prefix starts with " She loved to play".
        assertTrue(r.texts().get(0).startsWith(" She loved"), r.texts().get(0));
    }

    @Test
    void chatUsesTheDefaultTemplateAndStopStrings() {
        EmbeddedModel em = (EmbeddedModel) model;
        List<ChatMessage> msgs = List.of(ChatMessage.system("Tell a story."), ChatMessage.user("A dog"));
        ModelRequest req = ModelRequest.chat(msgs, SamplingParams.greedy(30));
        String rendered = DefaultChatTemplate.INSTANCE.render(
                List.of(new ChatTemplate.Turn("system", "Tell a story."), new ChatTemplate.Turn("user", "A dog")), true);
        assertEquals("<|system|>\nTell a story.\n<|user|>\nA dog\n<|assistant|>\n", rendered);
        assertArrayEquals(em.loadedModel().tokenizer().encode(rendered, true), em.promptTokens(req));
        ModelResponse a = model.complete(req), b = model.complete(req);
        assertEquals(a, b, "greedy chat is deterministic");
        assertFalse(a.texts().get(0).isEmpty());
        assertEquals(em.promptTokens(req).length, a.usage().promptTokens());

        // A stop string taken from the middle of the greedy text cuts it there.
        String full = model.complete(ModelRequest.completion("", SamplingParams.greedy(40))).texts().get(0);
        ModelResponse cut = model.complete(ModelRequest.completion("", SamplingParams.greedy(40).withStop(List.of("park"))));
        assertEquals(full.substring(0, full.indexOf("park")), cut.texts().get(0));
        assertEquals("stop", cut.completions().get(0).finishReason());
    }

    @Test
    void seededSamplesAreReproducibleOneByOneAndInBatch() {
        SamplingParams p = SamplingParams.sample(1.0, 0.95, 25, 4, 1234L);
        ModelResponse r1 = model.complete(ModelRequest.completion("The cat", p));
        assertEquals(4, r1.completions().size());
        assertTrue(new HashSet<>(r1.texts()).size() > 1, "samples of one request differ: " + r1.texts());
        // Sample i alone, with its own seed, gives the same text.
        for (int i = 0; i < 4; i++) {
            ModelResponse one = model.complete(ModelRequest.completion("The cat", p.withN(1).withSeed(p.sampleSeed(i))));
            assertEquals(r1.texts().get(i), one.texts().get(0), "sample " + i);
        }
        // Through completeAll, mixed with other requests, the same again.
        List<ModelRequest> reqs = new ArrayList<>();
        reqs.add(ModelRequest.completion("One day", SamplingParams.sample(0.8, 1.0, 30, 2, 9L)));
        reqs.add(ModelRequest.completion("The cat", p));
        reqs.add(ModelRequest.chat(List.of(ChatMessage.user("Hi")), SamplingParams.greedy(12)));
        reqs.add(ModelRequest.completion("x".repeat(2000), SamplingParams.greedy(5)));  // does not fit the context
        Map<Integer, ModelResponse> got = new ConcurrentHashMap<>();
        Map<Integer, ModelException> errors = new ConcurrentHashMap<>();
        model.completeAll(reqs, 4, (i, resp, err) -> {
            if (resp != null) got.put(i, resp);
            else errors.put(i, err);
        });
        assertEquals(r1, got.get(1));
        assertEquals(model.complete(reqs.get(0)), got.get(0));
        assertEquals(model.complete(reqs.get(2)), got.get(2));
        assertFalse(errors.get(3).retryable());
        assertTrue(errors.get(3).getMessage().contains("maximum context length is 512 tokens"), errors.get(3).getMessage());
    }

    @Test
    void streamingDeliversEachSampleTokenByTokenAndAListenerCanCancel() {
        SamplingParams p = SamplingParams.sample(1.0, 1.0, 30, 3, 77L);
        ModelRequest req = ModelRequest.completion("One day", p);
        Map<Integer, StringBuilder> streamed = new ConcurrentHashMap<>();
        Map<Integer, Integer> calls = new ConcurrentHashMap<>();
        var before = model.stats();
        ModelResponse r = model.completeStreaming(req, (i, delta) -> {
            streamed.computeIfAbsent(i, k -> new StringBuilder()).append(delta);
            calls.merge(i, 1, Integer::sum);
        });
        for (int i = 0; i < 3; i++) {
            assertEquals(r.texts().get(i), streamed.get(i).toString(), "sample " + i);
            assertTrue(calls.get(i) > 5, "sample " + i + " arrived in pieces");
        }
        assertEquals(model.complete(req), r, "streaming does not change the result");
        var after = model.stats();
        assertEquals(before.calls() + 2, after.calls());
        assertEquals(before.completionTokens() + 2 * r.usage().completionTokens(), after.completionTokens());

        // A listener that throws cancels the generation; the model keeps working.
        var e = assertThrows(ModelException.class, () -> model.completeStreaming(req, (i, delta) -> {
            throw new IllegalStateException("client went away");
        }));
        assertTrue(e.getMessage().contains("client went away"), e.getMessage());
        assertEquals(r, model.complete(req));
    }

    @Test
    void aSinkMayCallTheModelAgain() {
        List<ModelRequest> reqs = List.of(ModelRequest.completion("", SamplingParams.greedy(8)),
                ModelRequest.completion("The dog", SamplingParams.greedy(8)));
        Map<Integer, String> followUps = new ConcurrentHashMap<>();
        model.completeAll(reqs, 2, (i, resp, err) -> {
            // A pipeline stage that asks a follow-up question from inside the callback.
            String text = resp.texts().get(0);
            followUps.put(i, model.complete(ModelRequest.completion(text, SamplingParams.greedy(4))).texts().get(0));
        });
        assertEquals(2, followUps.size());
        assertEquals(model.complete(ModelRequest.completion(
                model.complete(reqs.get(1)).texts().get(0), SamplingParams.greedy(4))).texts().get(0), followUps.get(1));
    }

    @Test
    void identityNamesPathAndContent(@TempDir Path tmp) throws Exception {
        assertTrue(model.identity().startsWith("embedded:" + dir.toRealPath() + "@sha256:"), model.identity());
        Path copy = Files.createDirectory(tmp.resolve("m"));
        Files.copy(dir.resolve("stories260K.bin"), copy.resolve("model.bin"));
        Files.copy(dir.resolve("tok512.bin"), copy.resolve("tok512.bin"));
        String before;
        try (LanguageModel m = ModelFactory.open("embedded:" + copy, ModelOptions.defaults())) {
            before = m.identity();
            assertEquals(model.identity().substring(model.identity().indexOf('@')), before.substring(before.indexOf('@')),
                    "same content, same hash");
        }
        // "Retrain": change one weight and write the checkpoint at the same path.
        LlamaWeights w = Llama2cCheckpoint.read(copy.resolve("model.bin"));
        w.finalNorm[0] += 0.5f;
        Llama2cCheckpoint.write(w, copy.resolve("model.bin"));
        try (LanguageModel m = ModelFactory.open("embedded:" + copy, ModelOptions.defaults())) {
            assertNotEquals(before, m.identity());
        }
    }

    @Test
    void badPathsAreInputErrors(@TempDir Path tmp) throws Exception {
        var e = assertThrows(InputError.class, () -> ModelFactory.open("embedded:" + tmp.resolve("nope"), ModelOptions.defaults()));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
        Files.writeString(tmp.resolve("junk.bin"), "not a model");
        var e2 = assertThrows(InputError.class, () -> ModelFactory.open("embedded:" + tmp.resolve("junk.bin"), ModelOptions.defaults()));
        assertTrue(e2.getMessage().contains("junk.bin"), e2.getMessage());
    }
}
