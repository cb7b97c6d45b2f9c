package dev.selftaught.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.Json;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.SamplingParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;

/** The real server on a real port, spoken to by the JDK's HTTP client. */
class OpenAiServerTest {
    static final String NAME = "toy-judge";
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static ToyModel incremental;
    static ToyModel whole;
    static OpenAiServer server;       // incremental streaming, small limits
    static OpenAiServer wholeServer;  // LanguageModel's default streaming
    static OpenAiServer keyServer;    // requires an API key

    @BeforeAll
    static void start() {
        incremental = new ToyModel(true, 0);
        whole = new ToyModel(false, 0);
        ServerOptions opts = ServerOptions.defaults(NAME).withLimits(8192, 8, 64);
        server = OpenAiServer.start(incremental, opts);
        wholeServer = OpenAiServer.start(whole, opts);
        keyServer = OpenAiServer.start(incremental, opts.withApiKey("s3cret-key"));
    }

    @AfterAll
    static void stop() {
        for (OpenAiServer s : List.of(server, wholeServer, keyServer)) s.stop();
    }

    static HttpResponse<String> send(OpenAiServer s, String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).timeout(Duration.ofSeconds(20));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode post(String path, String body) throws Exception {
        HttpResponse<String> r = send(server, "POST", path, body);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        return Json.MAPPER.readTree(r.body());
    }

    /** Asserts an error in OpenAI's shape and returns it. */
    static JsonNode error(HttpResponse<String> r, int status, String code, String param) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertNotNull(e, r.body());
        assertTrue(e.get("message").isTextual() && !e.get("message").asText().isBlank(), r.body());
        assertTrue(e.get("type").isTextual(), r.body());
        assertTrue(e.has("param") && e.has("code"), r.body());
        assertEquals(code, e.get("code").asText(null), r.body());
        assertEquals(param, e.get("param").asText(null), r.body());
        return e;
    }

    static SamplingParams params(double temperature, int maxTokens, int n, Long seed, List<String> stop) {
        return new SamplingParams(temperature, 1, 0, 0, maxTokens, stop, seed, n, Map.of());
    }

    @Test
    void chatCompletion() throws Exception {
        JsonNode r = post("/v1/chat/completions", """
                {"model": "toy-judge", "temperature": 0, "max_tokens": 6,
                 "messages": [{"role": "system", "content": "be terse"}, {"role": "user", "content": "judge these two answers"}]}""");
        assertEquals("chat.completion", r.get("object").asText());
        assertEquals(NAME, r.get("model").asText());
        assertTrue(r.get("id").asText().startsWith("chatcmpl-"));
        JsonNode c = r.get("choices").get(0);
        String expected = ToyModel.sample("judge these two answers", params(0, 6, 1, null, List.of()), 0).text();
        assertEquals(expected, c.get("message").get("content").asText());
        assertTrue(expected.startsWith("judge these two answers w"), expected);
        assertEquals("assistant", c.get("message").get("role").asText());
        assertEquals("length", c.get("finish_reason").asText());
        assertEquals(6, r.get("usage").get("prompt_tokens").asInt()); // "be terse" + "judge these two answers"
        assertEquals(6, r.get("usage").get("completion_tokens").asInt());
        assertEquals(12, r.get("usage").get("total_tokens").asInt());
    }

    @Test
    void completionsWithSeveralPromptsAndN() throws Exception {
        JsonNode r = post("/v1/completions", """
                {"prompt": ["a b c", "x y"], "max_tokens": 2, "n": 2, "seed": 5}""");
        assertEquals("text_completion", r.get("object").asText());
        JsonNode choices = r.get("choices");
        assertEquals(4, choices.size());
        for (int i = 0; i < 4; i++) assertEquals(i, choices.get(i).get("index").asInt());
        assertEquals("a b", choices.get(0).get("text").asText());
        assertEquals("a b", choices.get(1).get("text").asText());
        assertEquals("x y", choices.get(3).get("text").asText());
        assertEquals(8, r.get("usage").get("completion_tokens").asInt());
        assertEquals(5, r.get("usage").get("prompt_tokens").asInt(), "3 + 2 prompt words, counted once per prompt");
    }

    @Test
    void seedGivesReproducibleSamples() throws Exception {
        String body = """
                {"messages": [{"role": "user", "content": "q"}], "temperature": 1.0, "max_tokens": 8, "n": 3, "seed": 42}""";
        List<String> first = texts(post("/v1/chat/completions", body));
        List<String> again = texts(post("/v1/chat/completions", body));
        assertEquals(first, again);
        assertEquals(3, first.size());
        assertEquals(3, first.stream().distinct().count(), "samples of one request differ: " + first);
        for (int i = 0; i < 3; i++) {
            assertEquals(ToyModel.sample("q", params(1, 8, 3, 42L, List.of()), i).text(), first.get(i), "sample " + i + " uses sampleSeed(i)");
        }
        List<String> other = texts(post("/v1/chat/completions", body.replace("42", "43")));
        assertNotEquals(first, other);
    }

    @Test
    void stopStrings() throws Exception {
        JsonNode r = post("/v1/completions", """
                {"prompt": "one two three four", "max_tokens": 10, "temperature": 0, "stop": ["three", "zzz"]}""");
        assertEquals("one two ", r.get("choices").get(0).get("text").asText());
        assertEquals("stop", r.get("choices").get(0).get("finish_reason").asText());
        JsonNode single = post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "one two three four"}], "max_tokens": 10, "stop": "two"}""");
        assertEquals("one ", single.get("choices").get(0).get("message").get("content").asText());
    }

    @Test
    void chatStreamingIncrementalAndDefault() throws Exception {
        String body = """
                {"messages": [{"role": "user", "content": "stream me please"}], "max_tokens": 7, "n": 2, "seed": 9,
                 "stream": true, "stream_options": {"include_usage": true}}""";
        for (OpenAiServer s : List.of(server, wholeServer)) {
            HttpResponse<String> r = send(s, "POST", "/v1/chat/completions", body);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            List<String> events = events(r.body());
            assertEquals("[DONE]", events.getLast());
            StringBuilder[] text = {new StringBuilder(), new StringBuilder()};
            String[] finish = new String[2];
            int contentChunks = 0;
            JsonNode usage = null;
            for (String e : events.subList(0, events.size() - 1)) {
                JsonNode j = Json.MAPPER.readTree(e);
                assertEquals("chat.completion.chunk", j.get("object").asText());
                if (j.get("choices").isEmpty()) {
                    usage = j.get("usage");
                    continue;
                }
                JsonNode c = j.get("choices").get(0);
                int i = c.get("index").asInt();
                assertNull(finish[i], "no delta after the finish chunk");
                if (c.get("delta").has("content") && !c.get("delta").get("content").asText().isEmpty()) contentChunks++;
                text[i].append(c.get("delta").path("content").asText(""));
                if (!c.get("finish_reason").isNull()) finish[i] = c.get("finish_reason").asText();
            }
            for (int i = 0; i < 2; i++) {
                assertEquals(ToyModel.sample("stream me please", params(1, 7, 2, 9L, List.of()), i).text(), text[i].toString());
                assertEquals("length", finish[i]);
            }
            assertNotNull(usage, "include_usage adds a usage chunk");
            assertEquals(14, usage.get("completion_tokens").asInt());
            if (s == server) assertEquals(14, contentChunks, "one chunk per word from an incremental model");
            else assertEquals(2, contentChunks, "the default streams each whole text once");
        }
    }

    @Test
    void completionStreaming() throws Exception {
        HttpResponse<String> r = send(server, "POST", "/v1/completions", """
                {"prompt": "a b c d", "max_tokens": 3, "temperature": 0, "stream": true}""");
        List<String> events = events(r.body());
        StringBuilder sb = new StringBuilder();
        String finish = null;
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode c = Json.MAPPER.readTree(e).get("choices").get(0);
            sb.append(c.get("text").asText());
            if (!c.get("finish_reason").isNull()) finish = c.get("finish_reason").asText();
        }
        assertEquals("a b c", sb.toString());
        assertEquals("length", finish);
        assertEquals("[DONE]", events.getLast());
    }

    @Test
    void apiKeyIsRequiredWhenConfigured() throws Exception {
        String body = "{\"prompt\": \"hi\", \"max_tokens\": 1}";
        error(send(keyServer, "POST", "/v1/completions", body), 401, "invalid_api_key", null);
        error(send(keyServer, "POST", "/v1/completions", body, "Authorization", "Bearer wrong"), 401, "invalid_api_key", null);
        error(send(keyServer, "GET", "/v1/models", null), 401, "invalid_api_key", null);
        assertEquals(200, send(keyServer, "POST", "/v1/completions", body, "Authorization", "Bearer s3cret-key").statusCode());
        assertEquals(200, send(keyServer, "GET", "/health", null).statusCode(), "health checks need no key");
        HttpResponse<String> r = send(keyServer, "POST", "/v1/completions", body, "Authorization", "Bearer wrong");
        assertFalse(r.body().contains("s3cret"), "the key never appears in answers");
    }

    @Test
    void limitsGive4xx() throws Exception {
        String big = "{\"prompt\": \"" + "x ".repeat(5000) + "\"}";
        error(send(server, "POST", "/v1/completions", big), 413, "request_too_large", null);
        error(send(server, "POST", "/v1/completions", "{\"prompt\": \"a\", \"n\": 9}"), 400, "invalid_value", "n");
        error(send(server, "POST", "/v1/completions", "{\"prompt\": [\"a\", \"b\", \"c\"], \"n\": 3}"), 400, "invalid_value", "n");
        error(send(server, "POST", "/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 65}"), 400, "invalid_value", "max_tokens");
        error(send(server, "POST", "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"max_completion_tokens\": 1000}"), 400, "invalid_value", "max_completion_tokens");
        error(send(server, "POST", "/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 0}"), 400, "invalid_value", "max_tokens");
    }

    @Test
    void badRequestsGetOpenAiErrors() throws Exception {
        error(send(server, "POST", "/v1/chat/completions", "{\"messages\": [}"), 400, "invalid_json", null);
        error(send(server, "POST", "/v1/chat/completions", "[1, 2]"), 400, "invalid_json", null);
        error(send(server, "POST", "/v1/chat/completions", "{}"), 400, "missing_required_parameter", "messages");
        error(send(server, "POST", "/v1/completions", "{\"max_tokens\": 3}"), 400, "missing_required_parameter", "prompt");
        error(send(server, "POST", "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"temperature\": \"hot\"}"), 400, "invalid_value", "temperature");
        error(send(server, "POST", "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"temperature\": 3}"), 400, "invalid_value", "temperature");
        error(send(server, "POST", "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"tool\", \"content\": \"a\"}]}"), 400, "invalid_value", "messages[0].role");
        error(send(server, "POST", "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"logprobs\": \"yes\"}"), 400, "invalid_value", "logprobs");
        error(send(server, "POST", "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"stop\": [1]}"), 400, "invalid_value", "stop");
        error(send(server, "POST", "/v1/chat/completions",
                "{\"model\": \"gpt-4\", \"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}"), 404, "model_not_found", "model");
        // Content given as text parts is accepted (the format newer clients send).
        JsonNode parts = post("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"p q\"}]}], \"max_tokens\": 2}");
        assertEquals("p q", parts.get("choices").get(0).get("message").get("content").asText());
    }

    @Test
    void routesAndMethods() throws Exception {
        error(send(server, "GET", "/v1/nope", null), 404, "unknown_url", null);
        error(send(server, "GET", "/", null), 404, "unknown_url", null);
        HttpResponse<String> r = send(server, "GET", "/v1/chat/completions", null);
        error(r, 405, "method_not_allowed", null);
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        JsonNode models = Json.MAPPER.readTree(send(server, "GET", "/v1/models", null).body());
        assertEquals("list", models.get("object").asText());
        assertEquals(NAME, models.get("data").get(0).get("id").asText());
        assertEquals(200, send(server, "GET", "/v1/models/" + NAME, null).statusCode());
        error(send(server, "GET", "/v1/models/other", null), 404, "model_not_found", "model");
    }

    @Test
    void modelFailuresAre5xx() throws Exception {
        error(send(server, "POST", "/v1/completions", "{\"prompt\": \"FAIL\"}"), 500, "model_error", null);
        error(send(server, "POST", "/v1/completions", "{\"prompt\": \"FAIL RETRY\"}"), 503, "model_unavailable", null);
        error(send(server, "POST", "/v1/completions", "{\"prompt\": \"CRASH\"}"), 500, "model_error", null);
        // Streaming a completion that fails before any text: still a plain HTTP error.
        error(send(server, "POST", "/v1/completions", "{\"prompt\": \"FAIL\", \"stream\": true}"), 500, "model_error", null);
        // A chat stream has already sent its role chunk: the error comes in-stream, then [DONE].
        HttpResponse<String> r = send(server, "POST", "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"FAIL\"}], \"stream\": true}");
        List<String> events = events(r.body());
        assertEquals("model_error", Json.MAPPER.readTree(events.get(events.size() - 2)).get("error").get("code").asText());
        assertEquals("[DONE]", events.getLast());
    }

    @Test
    void theProjectsOwnHttpClientTalksToTheServer() {
        // The llm branch's OpenAI client: discovers the model name through /v1/models, sends n/seed/stop.
        ModelOptions opts = new ModelOptions(null, null, 4, Duration.ofSeconds(20), 0, 0);
        try (LanguageModel client = ModelFactory.open(server.baseUrl(), opts)) {
            SamplingParams p = params(0.8, 5, 3, 1234L, List.of());
            ModelResponse r = client.complete(ModelRequest.chat(List.of(ChatMessage.user("which is better")), p));
            assertEquals(3, r.completions().size());
            for (int i = 0; i < 3; i++) assertEquals(ToyModel.sample("which is better", p, i), r.completions().get(i));
            assertEquals(15, r.usage().completionTokens());
            ModelResponse stopped = client.complete(ModelRequest.completion("one two three", params(0, 5, 1, null, List.of("three"))));
            assertEquals("one two ", stopped.texts().getFirst());
        }
    }

    @Test
    void stopFinishesInFlightRequestsThenRefuses() throws Exception {
        ToyModel slow = new ToyModel(true, 700);
        OpenAiServer s = OpenAiServer.start(slow, ServerOptions.defaults("slow").withShutdownGrace(Duration.ofSeconds(5)));
        int port = s.port();
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return send(s, "POST", "/v1/completions", "{\"prompt\": \"slow one\", \"max_tokens\": 2, \"temperature\": 0}");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (slow.calls.get() == 0 && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(1, s.inFlight());
        s.stop();
        HttpResponse<String> r = inFlight.get();
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("slow one", Json.MAPPER.readTree(r.body()).get("choices").get(0).get("text").asText());
        HttpRequest again = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(5)).build();
        Exception refused = assertThrows(Exception.class, () -> CLIENT.send(again, HttpResponse.BodyHandlers.ofString()));
        // Refused, not merely failed: a server that still accepted and then hung up or timed out
        // would give another IOException, with no ConnectException anywhere in the chain.
        Throwable t = refused;
        while (t != null && !(t instanceof ConnectException)) t = t.getCause();
        assertNotNull(t, "expected a refused connection, got " + refused);
    }

    private static List<String> texts(JsonNode r) {
        List<String> out = new ArrayList<>();
        for (JsonNode c : r.get("choices")) out.add(c.get("message").get("content").asText());
        return out;
    }

    /** The data payloads of an SSE body, checking the framing. */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (block.isBlank()) continue;
            assertTrue(block.startsWith("data: "), "SSE event: " + block);
            out.add(block.substring("data: ".length()));
        }
        assertTrue(body.endsWith("\n\n"));
        return out;
    }
}
