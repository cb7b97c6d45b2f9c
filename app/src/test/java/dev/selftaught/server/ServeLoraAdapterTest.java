package dev.selftaught.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.Json;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.train.LoraAdapter;
import dev.selftaught.engine.train.LoraConfig;
import dev.selftaught.engine.train.PeftAdapter;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.llm.embedded.EmbeddedModel;
import dev.selftaught.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code serve --lora-root}: vLLM's runtime LoRA routes on the embedded engine (stories260K and a
 * random PEFT adapter written by the project's PEFT writer). The adapter's completions equal an
 * independent oracle (the adapter folded into the weights by {@link LoraAdapter#mergeInto}, decoded
 * in-process); base and adapter requests decoded at the same time each give what they give alone;
 * hostile loads (outside the root, missing or oversized files, bad names, too many) are refused.
 */
@ExtendWith(SharedData.class)
class ServeLoraAdapterTest {
    static final Path DATA = Path.of(System.getProperty("shared.data", "../../shared/data"));
    @TempDir Path tmp;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    HttpResponse<String> post(OpenAiServer s, String route, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + route)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    String complete(OpenAiServer s, String model) throws Exception {
        HttpResponse<String> r = post(s, "/completions", "{\"model\": \"" + model + "\", \"prompt\": \"Once upon\", \"max_tokens\": 24, \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = Json.MAPPER.readTree(r.body());
        assertEquals(model, j.path("model").asText());
        return j.path("choices").path(0).path("text").asText();
    }

    static Path writeAdapter(Path dir, LoadedModel base, long seed) throws Exception {
        LoraAdapter a = new LoraAdapter(LoraConfig.of(2), base.config()).initRandom(seed);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed + 1);
        for (float[][] bs : a.b) if (bs != null) for (float[] m : bs) for (int i = 0; i < m.length; i++) m[i] = (float) (rnd.nextGaussian() * 0.5);
        PeftAdapter.write(dir, a, "stories260K");
        return dir;
    }

    @Test
    void anAdapterIsServedBesideTheBaseAsTheMergedWeightsWouldAnswer() throws Exception {
        Path model = DATA.resolve("llama2c_stories260K");
        ModelOptions opts = new ModelOptions(null, null, 1, Duration.ofSeconds(60), 0, 1);
        try (LanguageModel base = ModelFactory.open("embedded:" + model, opts);
             OpenAiServer server = OpenAiServer.start(base, ServerOptions.defaults("base")).withLoraAdapters(tmp, 1, 1 << 20, 1)) {
            LoadedModel loaded = ((EmbeddedModel) base).loadedModel();
            Path ad = writeAdapter(tmp.resolve("round-1/adapter"), loaded, 7);
            String baseAlone = complete(server, "base");

            HttpResponse<String> r = post(server, "/load_lora_adapter", "{\"lora_name\": \"r1\", \"lora_path\": \"" + ad + "\"}");
            assertEquals(200, r.statusCode(), r.body());
            HttpResponse<String> models = client.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/models")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(models.body().contains("\"id\":\"base\"") && models.body().contains("\"id\":\"r1\""), models.body());
            String adapterAlone = complete(server, "r1");
            assertNotEquals(baseAlone, adapterAlone, "the adapter changes the model");

            // oracle: the same adapter read back and folded into the weights, decoded in-process
            LoraAdapter read = PeftAdapter.read(ad, loaded.config());
            try (EmbeddedModel merged = new EmbeddedModel(new LoadedModel(loaded.config(), read.mergeInto(loaded.weights()),
                    loaded.tokenizer(), loaded.chatTemplate(), loaded.files()), ad, 1)) {
                String want = merged.complete(ModelRequest.completion("Once upon", SamplingParams.greedy(24)))
                        .completions().getFirst().text();
                assertEquals(want, adapterAlone);
            }

            // decoded together, neither request sees the other's weights
            List<CompletableFuture<String>> both = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String m = i % 2 == 0 ? "base" : "r1";
                both.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return complete(server, m);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            for (int i = 0; i < 4; i++) assertEquals(i % 2 == 0 ? baseAlone : adapterAlone, both.get(i).join(), "request " + i);

            // bounded: one adapter at most here
            Path second = writeAdapter(tmp.resolve("round-2/adapter"), loaded, 8);
            r = post(server, "/load_lora_adapter", "{\"lora_name\": \"r2\", \"lora_path\": \"" + second + "\"}");
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("--max-loras"), r.body());

            r = post(server, "/unload_lora_adapter", "{\"lora_name\": \"r1\"}");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(404, post(server, "/completions", "{\"model\": \"r1\", \"prompt\": \"x\", \"max_tokens\": 2}").statusCode());
            assertEquals(404, post(server, "/unload_lora_adapter", "{\"lora_name\": \"r1\"}").statusCode());
            assertEquals(baseAlone, complete(server, "base"), "the base is untouched");
            r = post(server, "/load_lora_adapter", "{\"lora_name\": \"r2\", \"lora_path\": \"" + second + "\"}");
            assertEquals(200, r.statusCode(), "room again after the unload: " + r.body());
        }
    }

    @Test
    void hostileLoadsAreRefused() throws Exception {
        Path model = DATA.resolve("llama2c_stories260K");
        ModelOptions opts = new ModelOptions(null, null, 1, Duration.ofSeconds(60), 0, 1);
        Path root = Files.createDirectories(tmp.resolve("root"));
        try (LanguageModel base = ModelFactory.open("embedded:" + model, opts);
             OpenAiServer server = OpenAiServer.start(base, ServerOptions.defaults("base")).withLoraAdapters(root, 4, 4096, 1)) {
            LoadedModel loaded = ((EmbeddedModel) base).loadedModel();
            Path outside = writeAdapter(tmp.resolve("outside"), loaded, 1);
            Files.createSymbolicLink(root.resolve("link"), outside);
            Path big = writeAdapter(root.resolve("big"), loaded, 2); // all seven targets at rank 2: more than 4096 bytes
            Path empty = Files.createDirectories(root.resolve("empty"));
            Path broken = Files.createDirectories(root.resolve("broken"));
            Files.writeString(broken.resolve("adapter_config.json"), "{\"peft_type\": \"PREFIX_TUNING\"}");
            Files.write(broken.resolve("adapter_model.safetensors"), new byte[16]);
            String[][] cases = {
                    {"{\"lora_name\": \"a\", \"lora_path\": \"" + outside + "\"}", "403"},
                    {"{\"lora_name\": \"a\", \"lora_path\": \"" + root.resolve("link") + "\"}", "403"},
                    {"{\"lora_name\": \"a\", \"lora_path\": \"" + big + "\"}", "400"},
                    {"{\"lora_name\": \"a\", \"lora_path\": \"" + empty + "\"}", "400"},
                    {"{\"lora_name\": \"a\", \"lora_path\": \"" + broken + "\"}", "400"},
                    {"{\"lora_name\": \"a\", \"lora_path\": \"" + root.resolve("nope") + "\"}", "400"},
                    {"{\"lora_name\": \"../x\", \"lora_path\": \"" + empty + "\"}", "400"},
                    {"{\"lora_name\": \"base\", \"lora_path\": \"" + empty + "\"}", "400"},
                    {"{\"lora_name\": 3, \"lora_path\": \"" + empty + "\"}", "400"},
                    {"{\"lora_name\": \"a\"}", "400"},
                    {"{\"lora_name\": \"a\", \"lora_path\": \"" + empty + "\", \"load_inplace\": true}", "400"},
                    {"[1]", "400"},
            };
            for (String[] c : cases) {
                HttpResponse<String> r = post(server, "/load_lora_adapter", c[0]);
                assertEquals(Integer.parseInt(c[1]), r.statusCode(), c[0] + " -> " + r.body());
                assertTrue(r.body().contains("\"error\""), r.body());
            }
            HttpResponse<String> models = client.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/models")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(1, Json.MAPPER.readTree(models.body()).path("data").size(), "nothing was loaded: " + models.body());
        }
        // without --lora-root the routes do not exist
        try (LanguageModel base = ModelFactory.open("embedded:" + model, opts);
             OpenAiServer server = OpenAiServer.start(base, ServerOptions.defaults("base"))) {
            assertEquals(404, post(server, "/load_lora_adapter", "{\"lora_name\": \"a\", \"lora_path\": \"/\"}").statusCode());
        }
    }
}
