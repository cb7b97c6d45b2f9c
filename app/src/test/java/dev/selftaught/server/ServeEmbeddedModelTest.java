package dev.selftaught.server;

import dev.selftaught.testing.SharedData;
import org.junit.jupiter.api.extension.ExtendWith;
import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.Json;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The server over the real embedded engine and a real trained model (Karpathy's stories260K):
 * greedy decoding from BOS through HTTP must reproduce the reference story, and streaming must
 * give the same text. Skipped only if the {@code embedded:} backend is not on the classpath.
 */
@ExtendWith(SharedData.class)
class ServeEmbeddedModelTest {
    static final Path DATA = Path.of(System.getProperty("shared.data", "../../shared/data"));

    @Test
    void greedyFromBosOverHttpMatchesTheReferenceStory() throws Exception {
        assumeTrue(ModelFactory.providers().containsKey("embedded"), "embedded backend not on the classpath");
        Path dir = DATA.resolve("llama2c_stories260K");
        String reference = Files.readAllLines(dir.resolve("VERIFY_greedy_output.txt")).stream()
                .filter(l -> l.startsWith("Once upon a time")).findFirst().orElseThrow();
        ModelOptions opts = new ModelOptions(null, null, 1, Duration.ofSeconds(60), 0, 1);
        try (LanguageModel model = ModelFactory.open("embedded:" + dir, opts);
             OpenAiServer server = OpenAiServer.start(model, ServerOptions.defaults("stories"))) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String body = "{\"prompt\": \"\", \"max_tokens\": 30, \"temperature\": 0}";
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode j = Json.MAPPER.readTree(r.body());
            String text = j.get("choices").get(0).get("text").asText();
            assertTrue(text.length() > 40 && reference.startsWith(text), "greedy text " + text + " vs reference " + reference);
            assertEquals(30, j.get("usage").get("completion_tokens").asInt());

            HttpResponse<String> s = client.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body.replace("}", ", \"stream\": true}"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            StringBuilder streamed = new StringBuilder();
            List<String> events = OpenAiServerTest.events(s.body());
            for (String e : events.subList(0, events.size() - 1)) {
                streamed.append(Json.MAPPER.readTree(e).get("choices").get(0).get("text").asText());
            }
            assertEquals(text, streamed.toString());
        }
    }
}
