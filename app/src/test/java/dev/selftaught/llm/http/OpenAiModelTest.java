package dev.selftaught.llm.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.InputError;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.ModelSpec;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.testing.OpenAiTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class OpenAiModelTest {

    OpenAiTestServer server;

    @BeforeEach
    void start() throws Exception { server = new OpenAiTestServer("served-model"); }

    @AfterEach
    void stop() { server.close(); }

    static ModelOptions fast() {
        return ModelOptions.defaults().withRequestTimeout(Duration.ofSeconds(5)).withRetries(6, Duration.ofMillis(5));
    }

    OpenAiModel model(ModelOptions o) { return new OpenAiModel(List.of(URI.create(server.url())), "served-model", null, o); }

    @Test
    void chatRequestBodyMapsParamsAndMergesExtra() {
        SamplingParams p = new SamplingParams(0.7, 0.9, 40, 0.05, 64, List.of("</s>", "END"), 11L, 2,
                Map.of("guided_choice", List.of("A", "B"), "model", "my-lora-adapter"));
        try (OpenAiModel m = model(fast())) {
            ModelResponse r = m.complete(ModelRequest.chat(List.of(ChatMessage.system("be brief"), ChatMessage.user("hi")), p));
            assertEquals(List.of(OpenAiTestServer.text("hi", 11L, 0), OpenAiTestServer.text("hi", 11L, 1)), r.texts());
            assertEquals("stop", r.completions().get(0).finishReason());
            assertEquals("length", r.completions().get(1).finishReason());
            assertEquals(2, r.usage().promptTokens());
            assertEquals(6, r.usage().completionTokens());
        }
        JsonNode b = server.bodies.getLast();
        assertEquals("my-lora-adapter", b.get("model").asText(), "extra overrides the model name (LoRA adapter)");
        assertEquals(0.7, b.get("temperature").asDouble());
        assertEquals(0.9, b.get("top_p").asDouble());
        assertEquals(40, b.get("top_k").asInt());
        assertEquals(0.05, b.get("min_p").asDouble());
        assertEquals(64, b.get("max_tokens").asInt());
        assertEquals(2, b.get("n").asInt());
        assertEquals(11, b.get("seed").asLong());
        assertEquals("END", b.get("stop").get(1).asText());
        assertEquals("B", b.get("guided_choice").get(1).asText());
        assertEquals("system", b.get("messages").get(0).get("role").asText());
    }

    @Test
    void rawPromptUsesCompletionsAndOmitsUnsetParams() {
        try (OpenAiModel m = model(fast())) {
            ModelResponse r = m.complete(ModelRequest.completion("Once upon", SamplingParams.greedy(8)));
            assertEquals(List.of(OpenAiTestServer.text("Once upon", null, 0)), r.texts());
        }
        JsonNode b = server.bodies.getLast();
        assertEquals("completions", server.log.getLast().path());
        assertEquals("served-model", b.get("model").asText());
        assertFalse(b.has("top_k"));
        assertFalse(b.has("min_p"));
        assertFalse(b.has("seed"));
        assertFalse(b.has("stop"));
    }

    @Test
    void serverIgnoringNGetsMissingSamplesEachWithItsOwnSeed() {
        server.ignoreN = true;
        SamplingParams p = SamplingParams.sample(1.0, 1.0, 16, 3, 5L);
        try (OpenAiModel m = model(fast())) {
            ModelResponse r = m.complete(ModelRequest.chat(List.of(ChatMessage.user("q")), p));
            assertEquals(3, r.completions().size());
            assertEquals(OpenAiTestServer.text("q", 5L, 0), r.texts().get(0));
            assertEquals(OpenAiTestServer.text("q", p.sampleSeed(1), 0), r.texts().get(1));
            assertEquals(OpenAiTestServer.text("q", p.sampleSeed(2), 0), r.texts().get(2));
            assertEquals(9, r.usage().completionTokens(), "3 calls x 3 tokens");
            assertEquals(3, r.usage().promptTokens(), "3 calls x 1 prompt token");
        }
        assertEquals(3, server.requests.get());
        assertEquals(List.of(3, 1, 1), server.bodies.stream().map(b -> b.get("n").asInt()).toList());
    }

    @Test
    void retryAfterIsHonoured() {
        server.retryAfter = "1";
        server.script.add(429);
        try (OpenAiModel m = model(fast())) {
            long t0 = System.nanoTime();
            ModelResponse r = m.complete(ModelRequest.completion("x", SamplingParams.greedy(4)));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(OpenAiTestServer.text("x", null, 0), r.texts().getFirst());
            assertTrue(ms >= 950, "waited only " + ms + " ms despite Retry-After: 1");
            assertEquals(1, m.stats().retries());
            assertEquals(1, m.stats().calls());
        }
        assertEquals(2, server.requests.get());
    }

    @Test
    void retryableStatusesAreRetriedAndClientErrorsAreNot() {
        server.script.addAll(List.of(500, 503, 408, 409, 429));
        try (OpenAiModel m = model(fast())) {
            assertEquals(OpenAiTestServer.text("y", null, 0), m.complete(ModelRequest.completion("y", SamplingParams.greedy(4))).texts().getFirst());
            assertEquals(5, m.stats().retries());
            server.script.add(400);
            ModelException e = assertThrows(ModelException.class, () -> m.complete(ModelRequest.completion("z", SamplingParams.greedy(4))));
            assertFalse(e.retryable());
            assertTrue(e.getMessage().contains("HTTP 400") && e.getMessage().contains("scripted 400"), e.getMessage());
            assertEquals(1, m.stats().failures());
        }
        assertEquals(7, server.requests.get(), "the 400 was sent once, not retried");
    }

    @Test
    void timeoutsAreRetriedThenReportedAsRetryableFailure() {
        server.delayMillis = 400;
        ModelOptions o = fast().withRequestTimeout(Duration.ofMillis(100)).withRetries(2, Duration.ofMillis(5));
        try (OpenAiModel m = model(o)) {
            ModelException e = assertThrows(ModelException.class, () -> m.complete(ModelRequest.completion("slow", SamplingParams.greedy(4))));
            assertTrue(e.retryable());
            assertTrue(e.getMessage().contains("no answer within 100 ms") && e.getMessage().contains("3 attempts"), e.getMessage());
        }
        assertEquals(3, server.requests.get());
    }

    @Test
    void everyFaultKindIsSurvived() {
        server.faultRate = 0.5;
        server.slowMillis = 300;
        ModelOptions o = fast().withRequestTimeout(Duration.ofMillis(150)).withRetries(30, Duration.ofMillis(2)).withConcurrency(8);
        List<ModelRequest> reqs = new ArrayList<>();
        for (int i = 0; i < 60; i++) reqs.add(ModelRequest.chat(List.of(ChatMessage.user("item " + i)), SamplingParams.greedy(4)));
        AtomicInteger ok = new AtomicInteger();
        try (OpenAiModel m = model(o)) {
            m.completeAll(reqs, 8, (i, r, e) -> {
                assertNull(e);
                assertEquals(OpenAiTestServer.text("item " + i, null, 0), r.texts().getFirst());
                ok.incrementAndGet();
            });
            assertEquals(60, ok.get());
            assertEquals(60, m.stats().calls());
            assertTrue(m.stats().retries() >= 10, "retries " + m.stats().retries());
        }
        for (OpenAiTestServer.Fault f : OpenAiTestServer.Fault.values()) {
            assertTrue(server.log.stream().anyMatch(l -> l.outcome().equals(f.name())), "fault " + f + " never injected");
        }
    }

    @Test
    void apiKeyIsSentAsBearerButNeverInIdentity() {
        server.requiredKey = "sk-secret-123";
        try (OpenAiModel m = new OpenAiModel(List.of(URI.create(server.url())), "served-model", "sk-secret-123", fast())) {
            assertEquals("x", m.complete(ModelRequest.completion("x", SamplingParams.greedy(4))).texts().getFirst().substring(5, 6));
            assertFalse(m.identity().contains("secret"));
            assertFalse(m.toString().contains("secret"));
        }
        assertEquals("Bearer sk-secret-123", server.authHeaders.getLast());
        try (OpenAiModel m = model(fast())) {
            ModelException e = assertThrows(ModelException.class, () -> m.complete(ModelRequest.completion("x", SamplingParams.greedy(4))));
            assertTrue(e.getMessage().contains("401"));
        }
    }

    @Test
    void modelNameComesFromSpecOptionOrModelsEndpoint() {
        try (LanguageModel m = ModelFactory.open(server.url(), fast())) {
            assertEquals("openai:served-model", m.identity(), "first model /v1/models lists");
        }
        try (LanguageModel m = ModelFactory.open(server.url() + "#chosen", fast())) {
            assertEquals("openai:chosen", m.identity());
            m.complete(ModelRequest.completion("a", SamplingParams.greedy(2)));
            assertEquals("chosen", server.bodies.getLast().get("model").asText());
        }
        try (LanguageModel m = ModelFactory.open(server.url(), fast().withModelName("opt"))) {
            assertEquals("openai:opt", m.identity());
        }
    }

    @Test
    void specParsing() {
        ModelSpec.Http h = (ModelSpec.Http) ModelSpec.parse("http://a:1/v1#m, https://b:2/v1/ ,http://c:3");
        assertEquals(List.of(URI.create("http://a:1/v1"), URI.create("https://b:2/v1"), URI.create("http://c:3/v1")), h.endpoints());
        assertEquals("m", h.modelName());
        assertEquals(new ModelSpec.Provider("embedded", "/models/x"), ModelSpec.parse("embedded:/models/x"));
        InputError e = assertThrows(InputError.class, () -> ModelFactory.open("nosuch:thing", fast()));
        assertTrue(e.getMessage().contains("unknown model scheme 'nosuch:'") && e.getMessage().contains("http://"), e.getMessage());
        assertThrows(InputError.class, () -> ModelSpec.parse("http://a:1/v1#x,http://b:1/v1#y"));
        assertThrows(InputError.class, () -> ModelSpec.parse("just-a-name"));
    }

    @Test
    void failingEndpointIsTakenOutOfRotationAndProbedBackIn() throws Exception {
        try (OpenAiTestServer good = new OpenAiTestServer("served-model")) {
            server.faultRate = 1.0; // "server" is the bad one: every request fails
            server.faults = java.util.EnumSet.of(OpenAiTestServer.Fault.SERVER_ERROR);
            ModelOptions o = fast().withRetries(10, Duration.ofMillis(20));
            try (OpenAiModel m = new OpenAiModel(List.of(URI.create(server.url()), URI.create(good.url())), "served-model", null, o)) {
                for (int i = 0; i < 30; i++) {
                    assertEquals(OpenAiTestServer.text("r" + i, null, 0), m.complete(ModelRequest.completion("r" + i, SamplingParams.greedy(2))).texts().getFirst());
                }
                assertTrue(m.endpointDown(0), "the failing endpoint is out of rotation");
                int badRequests = server.requests.get();
                assertTrue(badRequests <= 10, "the bad endpoint kept getting traffic: " + badRequests);
                // It recovers; after the cool-down (200 ms here) a probe succeeds and it is back.
                server.faultRate = 0;
                long until = System.nanoTime() + 5_000_000_000L;
                while (m.endpointDown(0) && System.nanoTime() < until) {
                    m.complete(ModelRequest.completion("p" + System.nanoTime(), SamplingParams.greedy(2)));
                    Thread.sleep(10);
                }
                assertFalse(m.endpointDown(0), "probed back in");
                int before = server.requests.get();
                for (int i = 0; i < 20; i++) m.complete(ModelRequest.completion("s" + i, SamplingParams.greedy(2)));
                assertTrue(server.requests.get() - before >= 5, "recovered endpoint gets traffic again");
            }
        }
    }

    @Test
    void leastInFlightSendsMoreToTheFasterEndpoint() throws Exception {
        try (OpenAiTestServer fastServer = new OpenAiTestServer("served-model")) {
            server.delayMillis = 100;
            ModelOptions o = fast().withConcurrency(8);
            List<ModelRequest> reqs = new ArrayList<>();
            for (int i = 0; i < 80; i++) reqs.add(ModelRequest.completion("lb" + i, SamplingParams.greedy(2)));
            try (OpenAiModel m = new OpenAiModel(List.of(URI.create(server.url()), URI.create(fastServer.url())), "served-model", null, o)) {
                AtomicInteger done = new AtomicInteger();
                m.completeAll(reqs, 8, (i, r, e) -> { if (e == null) done.incrementAndGet(); });
                assertEquals(80, done.get());
            }
            assertTrue(fastServer.requests.get() > 3 * server.requests.get(),
                    "fast " + fastServer.requests.get() + " vs slow " + server.requests.get());
        }
    }

    @Test
    void requestsPerMinuteLimitSpacesRequests() {
        ModelOptions o = fast().withRateLimits(3000, 0); // 50/s, bursts of 50
        try (OpenAiModel m = model(o)) {
            List<ModelRequest> reqs = new ArrayList<>();
            for (int i = 0; i < 100; i++) reqs.add(ModelRequest.completion("rl" + i, SamplingParams.greedy(2)));
            long t0 = System.nanoTime();
            m.completeAll(reqs, 16, (i, r, e) -> assertNull(e));
            double secs = (System.nanoTime() - t0) / 1e9;
            assertTrue(secs >= 0.9, "100 requests at 50/s after a burst of 50 took only " + secs + " s");
        }
    }

    @Test
    void tokensPerMinuteLimitCountsTheReportedTokens() {
        // 12,000 tokens/min = 200/s with a bucket of 200. Each call is estimated at 2.5 tokens
        // ("ab"/4 + max_tokens 2) but reports 5 (2 prompt + 3 completion): the correction must
        // count, so 100 calls (500 tokens) need at least (500 - 200) / 200 = 1.5 s.
        ModelOptions o = fast().withRateLimits(0, 12_000);
        try (OpenAiModel m = model(o)) {
            List<ModelRequest> reqs = new ArrayList<>();
            for (int i = 0; i < 100; i++) reqs.add(ModelRequest.completion("ab", SamplingParams.greedy(2)));
            long t0 = System.nanoTime();
            m.completeAll(reqs, 16, (i, r, e) -> assertNull(e));
            double secs = (System.nanoTime() - t0) / 1e9;
            assertTrue(secs >= 1.3, "500 tokens at 200/s after a bucket of 200 took only " + secs + " s");
            assertEquals(500, m.stats().totalTokens());
        }
    }

    @Test
    void costFromPriceTable() {
        try (OpenAiModel m = model(fast().withPrice(new ModelOptions.Price(2.0, 10.0)))) {
            m.complete(ModelRequest.completion("abcd", SamplingParams.greedy(2))); // 4 prompt + 3 completion tokens
            assertEquals((4 * 2.0 + 3 * 10.0) / 1e6, m.stats().cost(), 1e-12);
            assertEquals(4, m.stats().promptTokens());
            assertEquals(3, m.stats().completionTokens());
        }
    }
}
