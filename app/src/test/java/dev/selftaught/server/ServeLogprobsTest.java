package dev.selftaught.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.data.Json;
import dev.selftaught.llm.Completion;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.llm.TokenLogprob;
import dev.selftaught.testing.SharedData;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * logprobs / top_logprobs / echo and guided_choice / guided_regex through a real server over the
 * embedded engine on stories260K, in both wire shapes, streamed and not, and read back by the
 * project's own HTTP client. (The numbers themselves are checked against a direct forward pass in
 * the engine's LogprobsGuidedTest.)
 */
@ExtendWith(SharedData.class)
class ServeLogprobsTest {
    static LanguageModel model;
    static OpenAiServer server;

    @BeforeAll
    static void start() {
        model = ModelFactory.open("embedded:" + ServeAbuseTest.DATA.resolve("llama2c_stories260K"),
                new ModelOptions(null, null, 1, Duration.ofSeconds(60), 0, 1));
        server = OpenAiServer.start(model, ServerOptions.defaults("stories"));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        model.close();
    }

    static JsonNode post(String path, String body) throws Exception {
        HttpResponse<String> r = OpenAiServerTest.send(server, "POST", path, body);
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    @Test
    void chatLogprobsHaveOpenAisShapeAndGreedyPicksTheTopToken() throws Exception {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Tell me a story\"}], \"max_tokens\": 10, \"temperature\": 0,"
                + " \"logprobs\": true, \"top_logprobs\": 3}";
        JsonNode j = post("/v1/chat/completions", body);
        JsonNode choice = j.get("choices").get(0);
        JsonNode content = choice.get("logprobs").get("content");
        int completion = j.get("usage").get("completion_tokens").asInt();
        boolean stopped = choice.get("finish_reason").asText().equals("stop");
        assertEquals(completion - (stopped ? 1 : 0), content.size(), "one entry per generated token (a final EOS is not text)");
        StringBuilder joined = new StringBuilder();
        for (JsonNode e : content) {
            double lp = e.get("logprob").asDouble();
            assertTrue(lp <= 0, e.toString());
            JsonNode top = e.get("top_logprobs");
            assertEquals(3, top.size());
            assertTrue(top.get(0).get("logprob").asDouble() >= top.get(1).get("logprob").asDouble());
            // Greedy with no rules: the chosen token is the raw distribution's top one.
            assertEquals(top.get(0).get("token").asText(), e.get("token").asText());
            assertEquals(top.get(0).get("logprob").asDouble(), lp, 1e-6);
            byte[] b = new byte[e.get("bytes").size()];
            for (int i = 0; i < b.length; i++) b[i] = (byte) e.get("bytes").get(i).asInt();
            assertEquals(e.get("token").asText(), new String(b, java.nio.charset.StandardCharsets.UTF_8));
            joined.append(e.get("token").asText());
        }
        assertEquals(choice.get("message").get("content").asText(), joined.toString());

        // Streamed: the chunks' logprobs together are the same list.
        HttpResponse<String> s = OpenAiServerTest.send(server, "POST", "/v1/chat/completions", body.substring(0, body.length() - 1) + ", \"stream\": true}");
        List<JsonNode> streamed = new ArrayList<>();
        for (String ev : OpenAiServerTest.events(s.body())) {
            if (ev.equals("[DONE]")) continue;
            JsonNode lp = Json.MAPPER.readTree(ev).path("choices").path(0).path("logprobs");
            if (lp.isObject()) lp.get("content").forEach(streamed::add);
        }
        assertFalse(streamed.isEmpty());
        assertEquals(toList(content), streamed);

        // Not asked for: null, as before.
        assertTrue(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 3}")
                .get("choices").get(0).get("logprobs").isNull());
    }

    private static List<JsonNode> toList(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    @Test
    void completionsLegacyShapeWithEcho() throws Exception {
        String prompt = "Once upon a time";
        JsonNode j = post("/v1/completions", "{\"prompt\": \"" + prompt + "\", \"max_tokens\": 6, \"temperature\": 0, \"logprobs\": 2, \"echo\": true}");
        JsonNode c = j.get("choices").get(0);
        String text = c.get("text").asText();
        assertTrue(text.startsWith(prompt) && text.length() > prompt.length(), text);
        JsonNode lp = c.get("logprobs");
        int n = lp.get("tokens").size();
        int promptTokens = j.get("usage").get("prompt_tokens").asInt();
        assertEquals(promptTokens + 6, n, "every prompt token (BOS first) and every generated token");
        assertTrue(lp.get("token_logprobs").get(0).isNull(), "nothing predicts the first prompt token");
        assertTrue(lp.get("top_logprobs").get(0).isNull());
        StringBuilder joined = new StringBuilder();
        int last = -1;
        for (int i = 0; i < n; i++) {
            int off = lp.get("text_offset").get(i).asInt();
            assertEquals(joined.length(), off, "text_offset of token " + i);
            assertTrue(off >= last);
            last = off;
            joined.append(lp.get("tokens").get(i).asText());
            if (i > 0) {
                assertTrue(lp.get("token_logprobs").get(i).asDouble() <= 0);
                assertTrue(lp.get("top_logprobs").get(i).size() >= 1 && lp.get("top_logprobs").get(i).size() <= 2);
            }
        }
        assertEquals(text, joined.toString());

        // Streamed completions carry the legacy shape per chunk, offsets continuing.
        HttpResponse<String> s = OpenAiServerTest.send(server, "POST", "/v1/completions",
                "{\"prompt\": \"" + prompt + "\", \"max_tokens\": 6, \"temperature\": 0, \"logprobs\": 1, \"stream\": true}");
        List<String> toks = new ArrayList<>();
        for (String ev : OpenAiServerTest.events(s.body())) {
            if (ev.equals("[DONE]")) continue;
            JsonNode l = Json.MAPPER.readTree(ev).path("choices").path(0).path("logprobs");
            if (!l.isObject()) continue;
            for (int i = 0; i < l.get("tokens").size(); i++) {
                assertEquals(String.join("", toks).length(), l.get("text_offset").get(i).asInt());
                toks.add(l.get("tokens").get(i).asText());
            }
        }
        assertEquals(text.substring(prompt.length()), String.join("", toks));
    }

    @Test
    void theProjectsHttpClientReadsTheSameLogprobsAsTheEngineGives() throws Exception {
        SamplingParams p = SamplingParams.greedy(8).withLogprobs(4);
        ModelRequest req = ModelRequest.chat(List.of(new ChatMessage("user", "Which is better?")), p);
        Completion direct = model.complete(req).completions().getFirst();
        try (LanguageModel http = ModelFactory.open(server.baseUrl().replace("/v1", "") + "/v1#stories",
                new ModelOptions(null, null, 1, Duration.ofSeconds(60), 0, 1))) {
            Completion viaHttp = http.complete(req).completions().getFirst();
            assertEquals(direct.text(), viaHttp.text());
            assertEquals(direct.logprobs().size(), viaHttp.logprobs().size());
            for (int i = 0; i < direct.logprobs().size(); i++) {
                TokenLogprob a = direct.logprobs().get(i), b = viaHttp.logprobs().get(i);
                assertEquals(a.token(), b.token());
                assertEquals(a.logprob(), b.logprob(), 1e-6);
                assertEquals(4, b.top().size());
                assertEquals(a.top().get(3).logprob(), b.top().get(3).logprob(), 1e-6);
            }
            // Completions shape too.
            Completion c = http.complete(ModelRequest.completion("One day", SamplingParams.greedy(5).withLogprobs(2))).completions().getFirst();
            assertEquals(5, c.logprobs().size());
            assertEquals(2, c.logprobs().getFirst().top().size());
        }
    }

    @Test
    void guidedChoiceAndRegexOverHttp() throws Exception {
        for (int seed = 0; seed < 3; seed++) {
            JsonNode j = post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Which is better?\"}],"
                    + " \"max_tokens\": 20, \"temperature\": 1, \"seed\": " + seed + ", \"guided_choice\": [\"[[A]]\", \"[[B]]\"]}");
            String t = j.get("choices").get(0).get("message").get("content").asText();
            assertTrue(t.equals("[[A]]") || t.equals("[[B]]"), t);
            JsonNode r = post("/v1/completions", "{\"prompt\": \"The score is\", \"max_tokens\": 20, \"temperature\": 1, \"seed\": " + seed
                    + ", \"guided_regex\": \"[1-9]|10\"}");
            String score = r.get("choices").get(0).get("text").asText();
            assertTrue(score.matches("[1-9]|10"), score);
        }
    }

    @Test
    void boundsAndUnsupportedFieldsAreRefusedWith400() throws Exception {
        String chat = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 3, ";
        OpenAiServerTest.error(OpenAiServerTest.send(server, "POST", "/v1/chat/completions", chat + "\"logprobs\": true, \"top_logprobs\": 21}"),
                400, "invalid_value", "top_logprobs");
        OpenAiServerTest.error(OpenAiServerTest.send(server, "POST", "/v1/chat/completions", chat + "\"top_logprobs\": 2}"),
                400, "invalid_value", "top_logprobs");
        OpenAiServerTest.error(OpenAiServerTest.send(server, "POST", "/v1/completions", "{\"prompt\": \"x\", \"logprobs\": true}"),
                400, "invalid_value", "logprobs");
        OpenAiServerTest.error(OpenAiServerTest.send(server, "POST", "/v1/completions", "{\"prompt\": \"x\", \"logprobs\": 21}"),
                400, "invalid_value", "logprobs");
        OpenAiServerTest.error(OpenAiServerTest.send(server, "POST", "/v1/completions", "{\"prompt\": \"x\", \"echo\": true, \"stream\": true}"),
                400, "invalid_value", "echo");
        OpenAiServerTest.error(OpenAiServerTest.send(server, "POST", "/v1/chat/completions", chat + "\"guided_regex\": \"(a)\\\\1\"}"),
                400, "invalid_value", "guided_regex");
        OpenAiServerTest.error(OpenAiServerTest.send(server, "POST", "/v1/chat/completions", chat + "\"guided_regex\": \"(a|b)*a(a|b){20}\"}"),
                400, "invalid_value", "guided_regex");
        OpenAiServerTest.error(OpenAiServerTest.send(server, "POST", "/v1/chat/completions", chat + "\"guided_json\": {}}"),
                400, "invalid_value", "guided_json");
        StringBuilder many = new StringBuilder("[");
        for (int i = 0; i < 300; i++) many.append(i == 0 ? "" : ",").append("\"c").append(i).append('"');
        OpenAiServerTest.error(OpenAiServerTest.send(server, "POST", "/v1/chat/completions", chat + "\"guided_choice\": " + many + "]}"),
                400, "invalid_value", "guided_choice");
        // The server still answers after all of that.
        assertFalse(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2}").get("choices").isEmpty());
    }
}
