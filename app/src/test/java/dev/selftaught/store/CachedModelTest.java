package dev.selftaught.store;

import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.llm.http.OpenAiModel;
import dev.selftaught.testing.OpenAiTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class CachedModelTest {

    @TempDir
    Path dir;
    OpenAiTestServer server;
    CallStore store;

    @BeforeEach
    void start() throws Exception {
        server = new OpenAiTestServer("m");
        store = CallStore.open(dir.resolve("calls.sqlite"));
    }

    @AfterEach
    void stop() {
        store.close();
        server.close();
    }

    OpenAiModel http(int retries) {
        return new OpenAiModel(List.of(URI.create(server.url())), "m", null,
                ModelOptions.defaults().withRetries(retries, Duration.ofMillis(2)).withRequestTimeout(Duration.ofSeconds(5)));
    }

    static ModelRequest chat(String text, SamplingParams p) { return ModelRequest.chat(List.of(ChatMessage.user(text)), p); }

    @Test
    void seededSamplesAreRequestedOneByOneAndNeverAgain() {
        SamplingParams p3 = SamplingParams.sample(0.8, 0.95, 16, 3, 99L);
        try (CachedModel m = new CachedModel(http(2), store, false)) {
            ModelResponse r = m.complete(chat("q", p3));
            for (int i = 0; i < 3; i++) assertEquals(OpenAiTestServer.text("q", p3.sampleSeed(i), 0), r.texts().get(i));
            assertEquals(3, server.requests.get());
            assertTrue(server.bodies.stream().allMatch(b -> b.get("n").asInt() == 1));
            // Same request again: zero calls.
            assertEquals(r, m.complete(chat("q", p3)));
            assertEquals(3, server.requests.get());
            // Ask for 5: only samples 3 and 4 are called for, and 0..2 are what they were.
            ModelResponse r5 = m.complete(chat("q", p3.withN(5)));
            assertEquals(5, server.requests.get());
            assertEquals(r.texts(), r5.texts().subList(0, 3));
            assertEquals(OpenAiTestServer.text("q", p3.sampleSeed(4), 0), r5.texts().get(4));
            assertEquals(3 + 3, m.stats().samplesFromStore());
            assertEquals(5, m.stats().calls());
        }
        // A new model object over the same store (a rerun): still no call.
        try (CachedModel m = new CachedModel(http(2), store, false)) {
            m.complete(chat("q", p3.withN(5)));
            assertEquals(5, server.requests.get());
        }
    }

    @Test
    void unseededMissingSamplesAreRequestedNativelyAndUsageSumsToWhatWasSpent() {
        SamplingParams p = SamplingParams.sample(1.0, 1.0, 16, 2, null);
        try (CachedModel m = new CachedModel(http(2), store, false)) {
            ModelResponse r2 = m.complete(chat("abc", p));
            assertEquals(new dev.selftaught.llm.Usage(3, 6), r2.usage());
            ModelResponse r4 = m.complete(chat("abc", p.withN(4)));
            assertEquals(2, server.requests.get());
            assertEquals(2, server.bodies.get(1).get("n").asInt(), "the two missing samples in one native call");
            assertEquals(r2.texts(), r4.texts().subList(0, 2));
            assertEquals(new dev.selftaught.llm.Usage(6, 12), r4.usage(), "both calls' tokens, each counted once");
        }
    }

    @Test
    void failuresAreRecordedReplayedAndRetriedOnlyWithRetryFailed() {
        SamplingParams p = SamplingParams.greedy(8);
        server.script.add(400); // a non-retryable failure for the first request
        try (CachedModel m = new CachedModel(http(0), store, false)) {
            assertThrows(ModelException.class, () -> m.complete(chat("bad", p)));
            m.complete(chat("good", p));
            assertEquals(2, server.requests.get());
            StoredSample f = store.samples(CallKeys.requestKey(m.identity(), chat("bad", p)), 1).get(0);
            assertFalse(f.ok());
            assertTrue(f.error().contains("HTTP 400"), f.error());
            // A plain rerun replays the failure without calling.
            ModelException e = assertThrows(ModelException.class, () -> m.complete(chat("bad", p)));
            assertTrue(e.getMessage().contains("--retry-failed"), e.getMessage());
            assertEquals(2, server.requests.get());
        }
        try (CachedModel m = new CachedModel(http(0), store, true)) {
            AtomicInteger ok = new AtomicInteger();
            m.completeAll(List.of(chat("bad", p), chat("good", p)), 4, (i, r, e) -> {
                assertNull(e);
                ok.incrementAndGet();
            });
            assertEquals(2, ok.get());
            assertEquals(3, server.requests.get(), "only the failed call was retried");
            assertArrayEquals(new long[] {2, 0}, store.counts());
        }
    }

    @Test
    void concurrentIdenticalRequestsAreComputedOnce() throws Exception {
        server.delayMillis = 50;
        SamplingParams p = SamplingParams.greedy(8);
        try (CachedModel m = new CachedModel(http(2), store, false); var exec = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ModelResponse>> fs = new ArrayList<>();
            for (int i = 0; i < 20; i++) fs.add(exec.submit(() -> m.complete(chat("same", p))));
            for (Future<ModelResponse> f : fs) assertEquals(OpenAiTestServer.text("same", null, 0), f.get().texts().getFirst());
            // and within one completeAll batch
            List<ModelRequest> batch = new ArrayList<>();
            for (int i = 0; i < 10; i++) batch.add(chat("dup" + (i % 2), p));
            AtomicInteger answered = new AtomicInteger();
            m.completeAll(batch, 8, (i, r, e) -> {
                assertEquals(OpenAiTestServer.text("dup" + (i % 2), null, 0), r.texts().getFirst());
                answered.incrementAndGet();
            });
            assertEquals(10, answered.get());
        }
        assertEquals(3, server.requests.get());
    }

    @Test
    void keysChangeWithEveryParameterButNotWithN() {
        SamplingParams base = new SamplingParams(0.7, 0.9, 0, 0, 32, List.of(), 1L, 1, Map.of("a", Map.of("y", 1, "x", 2)));
        String k = CallKeys.requestKey("m", chat("q", base));
        assertEquals(k, CallKeys.requestKey("m", chat("q", base.withN(8))));
        assertEquals(k, CallKeys.requestKey("m", chat("q", new SamplingParams(0.7, 0.9, 0, 0, 32, List.of(), 1L, 1,
                Map.of("a", Map.of("x", 2, "y", 1))))), "extra key order does not matter");
        List<String> others = List.of(
                CallKeys.requestKey("m2", chat("q", base)),
                CallKeys.requestKey("m", chat("q2", base)),
                CallKeys.requestKey("m", ModelRequest.completion("q", base)),
                CallKeys.requestKey("m", chat("q", base.withSeed(2L))),
                CallKeys.requestKey("m", chat("q", base.withSeed(null))),
                CallKeys.requestKey("m", chat("q", base.withMaxTokens(33))),
                CallKeys.requestKey("m", chat("q", base.withStop(List.of("x")))),
                CallKeys.requestKey("m", chat("q", new SamplingParams(0.7, 0.9, 5, 0, 32, List.of(), 1L, 1, base.extra()))),
                CallKeys.requestKey("m", chat("q", new SamplingParams(0.7, 0.9, 0, 0.1, 32, List.of(), 1L, 1, base.extra()))),
                CallKeys.requestKey("m", chat("q", new SamplingParams(0.6, 0.9, 0, 0, 32, List.of(), 1L, 1, base.extra()))),
                CallKeys.requestKey("m", chat("q", new SamplingParams(0.7, 0.8, 0, 0, 32, List.of(), 1L, 1, base.extra()))),
                CallKeys.requestKey("m", chat("q", new SamplingParams(0.7, 0.9, 0, 0, 32, List.of(), 1L, 1, Map.of()))));
        for (String o : others) assertNotEquals(k, o);
        assertEquals(others.size(), others.stream().distinct().count());
        assertNotEquals(CallKeys.sampleKey("m", chat("q", base), 0), CallKeys.sampleKey("m", chat("q", base), 1));
        assertEquals(64, k.length());
    }
}
