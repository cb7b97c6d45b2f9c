package dev.selftaught.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real OpenAI-compatible HTTP server for tests (JDK HttpServer on a free port): GET /v1/models
 * and POST /v1/chat/completions, answering every completion with {@code answer(userMessage)}.
 */
final class JudgeServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    final AtomicInteger chatCalls = new AtomicInteger();
    private final HttpServer server;
    private final Function<String, String> answer;

    JudgeServer(Function<String, String> answer) throws IOException {
        this.answer = answer;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/v1/models", ex -> send(ex, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"judge\",\"object\":\"model\"}]}"));
        server.createContext("/v1/chat/completions", this::chat);
        server.start();
    }

    String spec() { return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1#judge"; }

    private void chat(HttpExchange ex) throws IOException {
        chatCalls.incrementAndGet();
        JsonNode req = JSON.readTree(ex.getRequestBody().readAllBytes());
        JsonNode msgs = req.path("messages");
        String user = msgs.get(msgs.size() - 1).path("content").asText();
        int n = req.path("n").asInt(1);
        ObjectNode resp = JSON.createObjectNode();
        resp.put("id", "x").put("object", "chat.completion").put("model", "judge");
        ArrayNode choices = resp.putArray("choices");
        for (int i = 0; i < n; i++) {
            ObjectNode c = choices.addObject();
            c.put("index", i).put("finish_reason", "stop");
            c.putObject("message").put("role", "assistant").put("content", answer.apply(user));
        }
        resp.putObject("usage").put("prompt_tokens", 100).put("completion_tokens", 10);
        send(ex, 200, JSON.writeValueAsString(resp));
    }

    private static void send(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(code, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Override
    public void close() { server.stop(0); }
}
