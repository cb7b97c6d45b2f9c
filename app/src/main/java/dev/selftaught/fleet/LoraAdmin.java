package dev.selftaught.fleet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * vLLM's runtime LoRA API as the run uses it ({@code POST /v1/load_lora_adapter} with
 * {@code lora_name} and {@code lora_path}, {@code POST /v1/unload_lora_adapter} with {@code lora_name});
 * {@code selftaught serve} answers the same two routes. vLLM needs
 * {@code VLLM_ALLOW_RUNTIME_LORA_UPDATING=True} and {@code --enable-lora} for them.
 */
final class LoraAdmin {
    private LoraAdmin() {}

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static void load(URI base, String name, Path adapter) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("lora_name", name).put("lora_path", adapter.toAbsolutePath().toString());
        HttpResponse<String> r = post(base, "/load_lora_adapter", body);
        if (r.statusCode() / 100 != 2) {
            throw new Servers.LaunchFailed("serve: " + base + "/load_lora_adapter refused adapter '" + name + "' (" + adapter + "): HTTP "
                    + r.statusCode() + " " + clip(r.body()));
        }
    }

    /** Unloads; a server that no longer knows the name (restarted) is fine. */
    static void unload(URI base, String name) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("lora_name", name);
        try {
            HttpResponse<String> r = post(base, "/unload_lora_adapter", body);
            if (r.statusCode() / 100 != 2 && r.statusCode() != 404) {
                System.err.println("serve: " + base + "/unload_lora_adapter '" + name + "': HTTP " + r.statusCode() + " " + clip(r.body()));
            }
        } catch (Servers.LaunchFailed e) {
            System.err.println(e.getMessage()); // the server is gone: nothing left to unload
        }
    }

    /** The first model /v1/models lists (the base of a server the user runs). */
    static String firstModel(URI base) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/models")).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            String id = Json.MAPPER.readTree(r.body()).path("data").path(0).path("id").asText("");
            if (r.statusCode() != 200 || id.isEmpty()) throw new Servers.LaunchFailed("serve: " + base + "/models lists no model (HTTP " + r.statusCode() + ")");
            return id;
        } catch (IOException e) {
            throw new Servers.LaunchFailed("serve: cannot reach " + base + "/models: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Servers.LaunchFailed("interrupted");
        }
    }

    private static HttpResponse<String> post(URI base, String route, ObjectNode body) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(base + route)).timeout(Duration.ofMinutes(5))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(body), StandardCharsets.UTF_8)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new Servers.LaunchFailed("serve: cannot reach " + base + route + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Servers.LaunchFailed("interrupted");
        }
    }

    private static String clip(String s) {
        s = s == null ? "" : s.replaceAll("\\s+", " ");
        return s.length() > 500 ? s.substring(0, 500) + "..." : s;
    }
}
