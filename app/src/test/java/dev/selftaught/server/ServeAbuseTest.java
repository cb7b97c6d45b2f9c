package dev.selftaught.server;

import dev.selftaught.testing.SharedData;
import org.junit.jupiter.api.extension.ExtendWith;
import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.Json;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.embedded.EmbeddedModel;
import dev.selftaught.server.http.HttpLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 16's probes against a real server over real loopback sockets, on the real embedded
 * engine running stories260K: each probe that once broke or misled {@code serve} is a test here.
 * Every test is bounded in connections and time.
 */
@ExtendWith(SharedData.class)
class ServeAbuseTest {
    static final Path DATA = Path.of(System.getProperty("shared.data", "../../shared/data"));
    static final String SMALL = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 4, \"temperature\": 0}";
    static LanguageModel model;
    static EmbeddedModel engine;
    static OpenAiServer server;
    static final List<String> log = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        model = ModelFactory.open("embedded:" + DATA.resolve("llama2c_stories260K"), new ModelOptions(null, null, 1, Duration.ofSeconds(60), 0, 1));
        engine = (EmbeddedModel) model;
        HttpLimits limits = new HttpLimits(64, 16 << 10, 100, 1 << 20, Duration.ofSeconds(1), Duration.ofSeconds(2),
                Duration.ofSeconds(5), Duration.ofSeconds(5));
        server = OpenAiServer.start(model, ServerOptions.defaults("stories").withHttp(limits).withQueue(64).withLog(log::add));
    }

    @AfterAll
    static void stop() {
        server.stop();
        model.close();
    }

    static RawHttp.Response call(OpenAiServer s, String raw) throws Exception {
        try (RawHttp c = new RawHttp(s.port(), 60_000)) {
            return c.send(raw).read();
        }
    }

    static JsonNode error(RawHttp.Response r, int status, String code) throws Exception {
        assertEquals(status, r.status(), r.body());
        assertEquals("application/json", r.header("content-type"), "every error is JSON: " + r.body());
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertNotNull(e, "OpenAI shape {\"error\": {...}}: " + r.body());
        assertTrue(e.has("message") && e.has("type") && e.has("param") && e.has("code"), r.body());
        if (code != null) assertEquals(code, e.get("code").asText(), r.body());
        return e;
    }

    static void eventually(String what, Duration within, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) fail(what + " did not happen within " + within);
            Thread.sleep(20);
        }
    }

    static void smallRequestAnswers(OpenAiServer s, Duration within) throws Exception {
        long t0 = System.nanoTime();
        RawHttp.Response r = call(s, RawHttp.post("/v1/completions", SMALL));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(200, r.status(), r.body());
        assertEquals(4, Json.MAPPER.readTree(r.body()).get("usage").get("completion_tokens").asInt());
        assertTrue(ms < within.toMillis(), "a small request took " + ms + " ms");
    }

    @Test
    void badSamplingParametersAreRefusedAndNeverBreakTheServer() throws Exception {
        String[] bad = {
                "\"temperature\": 1e-40, \"top_k\": 5", // the original probe: overflowed 1/T and closed the generator
                "\"temperature\": 1e-3", "\"temperature\": -1", "\"temperature\": 2.5", "\"temperature\": 1e309",
                "\"top_k\": 1e20", "\"top_k\": -2", "\"top_p\": 0", "\"top_p\": 1.5", "\"min_p\": 1",
                "\"repetition_penalty\": 1e-30", "\"repetition_penalty\": 0", "\"presence_penalty\": 1e30",
                "\"frequency_penalty\": -3", "\"min_tokens\": -1", "\"min_tokens\": 100, \"max_tokens\": 4",
                "\"stop_token_ids\": [-1]", "\"stop_token_ids\": [1.5]", "\"stop_token_ids\": [99999999]",
                "\"ignore_eos\": \"yes\"", "\"guided_choice\": []", "\"guided_regex\": \"(?=a)\"", "\"best_of_bogus\": 1", "\"logprobs\": true",
        };
        for (String b : bad) {
            RawHttp.Response r = call(server, RawHttp.post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 8, " + b + "}"));
            JsonNode e = error(r, 400, null);
            assertFalse(e.get("message").asText().isBlank(), b);
        }
        // The smallest temperature allowed with top-k samples fine...
        RawHttp.Response ok = call(server, RawHttp.post("/v1/completions",
                "{\"prompt\": \"a\", \"max_tokens\": 8, \"temperature\": 0.01, \"top_k\": 5, \"seed\": 1}"));
        assertEquals(200, ok.status(), ok.body());
        // ...and the server still answers everyone, and says it is healthy.
        smallRequestAnswers(server, Duration.ofSeconds(30));
        RawHttp.Response h = call(server, "GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(200, h.status());
        assertEquals("ok", Json.MAPPER.readTree(h.body()).get("status").asText());
    }

    @Test
    void healthIs503OnlyWhenTheModelCanNoLongerAnswer() throws Exception {
        var dead = new java.util.concurrent.atomic.AtomicBoolean();
        LanguageModel wrapper = new LanguageModel() {
            @Override public String identity() { return model.identity(); }
            @Override public dev.selftaught.llm.ModelResponse complete(dev.selftaught.llm.ModelRequest r) { return model.complete(r); }
            @Override public boolean healthy() { return !dead.get() && model.healthy(); }
        };
        try (OpenAiServer s = OpenAiServer.start(wrapper, ServerOptions.defaults("stories"))) {
            // A request that fails is not death.
            error(call(s, RawHttp.post("/v1/completions", "{\"prompt\": \"" + "a b ".repeat(2000) + "\", \"max_tokens\": 2}")), 400, null);
            RawHttp.Response ok = call(s, "GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, ok.status());
            dead.set(true);
            RawHttp.Response down = call(s, "GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(503, down.status());
            assertEquals("unhealthy", Json.MAPPER.readTree(down.body()).get("status").asText());
        }
    }

    @Test
    void aPromptOverTheContextIs400NamingTheLimit() throws Exception {
        String longPrompt = "Once upon a time there was a little cat. ".repeat(200);
        JsonNode e = error(call(server, RawHttp.post("/v1/completions", "{\"prompt\": \"" + longPrompt + "\", \"max_tokens\": 4}")),
                400, "context_length_exceeded");
        int ctx = engine.loadedModel().config().maxSeqLen();
        assertTrue(e.get("message").asText().contains(ctx + " tokens"), e.toString());
        assertEquals("prompt", e.get("param").asText());
        e = error(call(server, RawHttp.post("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"" + longPrompt + "\"}], \"max_tokens\": 4}")), 400, "context_length_exceeded");
        assertEquals("messages", e.get("param").asText());
    }

    @Test
    void everyErrorTheServerProducesIsOpenAiShapedJson() throws Exception {
        error(call(server, "POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n{}"), 400, "invalid_content_length");
        error(call(server, "POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"), 400, "invalid_content_length");
        error(call(server, "POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}"), 400, "bad_framing");
        error(call(server, "POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n"), 413, "request_too_large");
        error(call(server, "GARBAGE\r\n\r\n"), 400, "bad_request_line");
        error(call(server, "GET /health HTTP/2.0\r\n\r\n"), 505, null);
        error(call(server, "BREW /health HTTP/1.1\r\n\r\n"), 501, null);
        error(call(server, "GET http://x/health HTTP/1.1\r\n\r\n"), 400, "bad_request_target");
        error(call(server, "GET /health HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n"), 400, "bad_header");
        error(call(server, "GET /health HTTP/1.1\r\nBad Header: x\r\n\r\n"), 400, "bad_header");
        error(call(server, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"), 404, "unknown_url");
        error(call(server, "GET /v1/completions HTTP/1.1\r\nHost: t\r\n\r\n"), 405, "method_not_allowed");
        error(call(server, RawHttp.post("/v1/completions", "{not json")), 400, "invalid_json");
        error(call(server, RawHttp.post("/v1/completions", "[1]")), 400, "invalid_json");
        error(call(server, RawHttp.post("/v1/completions", "{\"prompt\": \"a\", \"whatever\": 1}")), 400, "invalid_value");
        // A chunked request body is read; an oversized chunk is 413.
        String json = "{\"prompt\": \"a\", \"max_tokens\": 2, \"temperature\": 0}";
        RawHttp.Response chunked = call(server, "POST /v1/completions HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(json.length()) + "\r\n" + json + "\r\n0\r\n\r\n");
        assertEquals(200, chunked.status(), chunked.body());
        error(call(server, "POST /v1/completions HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFF\r\n"), 413, "request_too_large");
    }

    @Test
    void oversizedHeadersGet431AndAnOversizedRequestLine414() throws Exception {
        String big = "GET /health HTTP/1.1\r\nHost: t\r\nX-Big: " + "a".repeat(1 << 20) + "\r\n\r\n";
        error(call(server, big), 431, "request_header_fields_too_large");
        StringBuilder many = new StringBuilder("GET /health HTTP/1.1\r\n");
        for (int i = 0; i < 200; i++) many.append("X-").append(i).append(": 1\r\n");
        error(call(server, many.append("\r\n").toString()), 431, "request_header_fields_too_large");
        error(call(server, "GET /" + "a".repeat(20_000) + " HTTP/1.1\r\n\r\n"), 414, "uri_too_long");
        smallRequestAnswers(server, Duration.ofSeconds(30));
    }

    @Test
    void slowHeadersTimeOutAndSilentConnectionsAreClosed() throws Exception {
        List<RawHttp> trickling = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                RawHttp c = new RawHttp(server.port(), 10_000);
                c.send("POST /v1/completions HTTP/1.1\r\nHost: t\r\n");
                trickling.add(c);
            }
            RawHttp silent = new RawHttp(server.port(), 10_000);
            trickling.add(silent);
            long t0 = System.nanoTime();
            // Keep trickling one header byte every 200 ms: the 1 s header deadline still applies.
            var exec = Executors.newVirtualThreadPerTaskExecutor();
            for (RawHttp c : trickling.subList(0, 40)) {
                exec.submit(() -> {
                    for (int k = 0; k < 50; k++) {
                        c.send("X");
                        Thread.sleep(200);
                    }
                    return null;
                });
            }
            RawHttp.Response r = trickling.getFirst().read();
            error(r, 408, "request_timeout");
            for (RawHttp c : trickling) {
                assertTrue(c.closedByServer() || readsTimeoutAnswer(c), "connection closed by the server");
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 10_000, "slow senders were cut off after " + ms + " ms (header timeout 1 s)");
            exec.shutdownNow();
            eventually("trickling connections freed", Duration.ofSeconds(10), () -> server.connections() == 0);
        } finally {
            trickling.forEach(RawHttp::close);
        }
        smallRequestAnswers(server, Duration.ofSeconds(30));
    }

    private static boolean readsTimeoutAnswer(RawHttp c) {
        try {
            return c.read().status() == 408 && c.closedByServer();
        } catch (Exception e) {
            return c.closedByServer();
        }
    }

    @Test
    void theConnectionCapAnswers503AndFreesUp() throws Exception {
        HttpLimits limits = new HttpLimits(4, 16 << 10, 100, 1 << 20, Duration.ofSeconds(20), Duration.ofSeconds(20),
                Duration.ofSeconds(20), Duration.ofSeconds(5));
        try (OpenAiServer s = OpenAiServer.start(model, ServerOptions.defaults("stories").withHttp(limits))) {
            List<RawHttp> held = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    RawHttp c = new RawHttp(s.port(), 10_000);
                    assertEquals(200, c.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n").read().status()); // kept alive
                    held.add(c);
                }
                error(call(s, "GET /health HTTP/1.1\r\nHost: t\r\n\r\n"), 503, "too_many_connections");
            } finally {
                held.forEach(RawHttp::close);
            }
            eventually("held connections freed", Duration.ofSeconds(10), () -> s.connections() == 0);
            smallRequestAnswers(s, Duration.ofSeconds(30));
        }
    }

    @Test
    void aFullQueueAnswers429WithRetryAfter() throws Exception {
        try (OpenAiServer s = OpenAiServer.start(model, ServerOptions.defaults("stories").withQueue(16))) {
            // 24 clients at once, each asking for 4 completions of 200 tokens: at most 4 fit in the
            // queue of 16 at a time, so some must be told to come back.
            String body = "{\"prompt\": \"Once\", \"max_tokens\": 200, \"n\": 4, \"ignore_eos\": true, \"temperature\": 0.8}";
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            List<String> retryAfter = new CopyOnWriteArrayList<>();
            try (var exec = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 24; i++) {
                    exec.submit(() -> {
                        RawHttp.Response r = call(s, RawHttp.post("/v1/completions", body));
                        statuses.computeIfAbsent(r.status(), k -> new AtomicInteger()).incrementAndGet();
                        if (r.status() == 429) {
                            error(r, 429, "rate_limit_exceeded");
                            retryAfter.add(r.header("retry-after"));
                        }
                        return null;
                    });
                }
            }
            assertTrue(statuses.containsKey(429), "some requests were refused: " + statuses);
            assertTrue(statuses.containsKey(200), "some were answered: " + statuses);
            assertEquals(24, statuses.values().stream().mapToInt(AtomicInteger::get).sum(), statuses.toString());
            assertTrue(retryAfter.stream().allMatch("1"::equals), retryAfter.toString());
            eventually("queue drained", Duration.ofSeconds(10), () -> s.admitted() == 0);
        }
    }

    @Test
    void aClientThatDisconnectsCancelsItsDecodingStreamedOrNot() throws Exception {
        for (boolean stream : new boolean[] {false, true}) {
            long before = engine.tokensSampled();
            // 16 completions × 400 tokens = 6,400 tokens if nobody cancelled them.
            String body = "{\"prompt\": \"Once\", \"max_tokens\": 400, \"n\": 16, \"ignore_eos\": true, \"temperature\": 1, \"stream\": "
                    + stream + "}";
            try (RawHttp c = new RawHttp(server.port(), 30_000)) {
                c.send(RawHttp.post("/v1/completions", body));
                eventually("request admitted", Duration.ofSeconds(20), () -> server.admitted() == 16);
                if (stream) assertTrue(c.in.read() >= 0, "a first streamed byte arrives");
            }
            eventually("the disconnected request leaves the admission queue", Duration.ofSeconds(20), () -> server.admitted() == 0);
            // Wait until the engine is quiet (no token sampled for 300 ms), then count.
            long last = -1;
            for (int quiet = 0; quiet < 15; ) {
                long now = engine.tokensSampled();
                quiet = now == last ? quiet + 1 : 0;
                last = now;
                Thread.sleep(20);
            }
            long decoded = engine.tokensSampled() - before;
            assertTrue(decoded < 16 * 400, "decoding stopped early when the client left (stream=" + stream + "): " + decoded + " tokens");
        }
        smallRequestAnswers(server, Duration.ofSeconds(30));
    }

    @Test
    void logLinesEscapeControlCharactersAndAreOnePerRequest() throws Exception {
        int before = log.size();
        call(server, "GET /v1/x%0A%0D127.0.0.1%20GET%20/admin%20200 HTTP/1.1\r\nHost: t\r\n\r\n");
        call(server, "GET /v1/b\\c HTTP/1.1\r\nHost: t\r\n\r\n");
        try (RawHttp c = new RawHttp(server.port(), 10_000)) {
            c.send("GET /v1/a".getBytes(StandardCharsets.US_ASCII));
            c.send(new byte[] {(byte) 0xC3, (byte) 0xA9, 0x1b, '[', '3', '1', 'm'});
            c.send(" HTTP/1.1\r\nHost: t\r\n\r\n");
            error(c.read(), 400, "bad_request_target");
        }
        eventually("three log lines", Duration.ofSeconds(5), () -> log.size() >= before + 3);
        for (String line : log.subList(before, log.size())) {
            assertFalse(line.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f), "no control characters: " + line);
        }
        assertTrue(log.stream().anyMatch(l -> l.contains("/v1/x%0A%0D127.0.0.1%20GET%20/admin%20200 404")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.contains("/v1/a%C3%A9%1B[31m 400")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.contains("/v1/b%5Cc 404")), log.toString());
    }
}
