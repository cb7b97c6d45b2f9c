package dev.selftaught.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP server (JDK HttpServer on 127.0.0.1) speaking the OpenAI wire format, for tests.
 * Answers are deterministic: choice i of a request with input tag T (the prompt, or the last
 * message's content) and seed S has text {@code "echo:T|seed=S|choice=i"} (plus
 * {@code |serial=K}, a number unique per generated choice, when {@link #serials} is on).
 * It injects faults at a chosen rate and keeps its own counters of what it served.
 */
public final class OpenAiTestServer implements AutoCloseable {

    public enum Fault { RATE_LIMIT, SERVER_ERROR, SLOW, RESET, MALFORMED, TRUNCATED }

    /** One request as the server saw it. */
    public record Logged(String path, String tag, Long seed, int n, String outcome) {}

    /** A choice the server delivered in a clean 200 response. */
    public record Served(String tag, Long seed, int choice, String text, long promptTokens, long completionTokens) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final String modelName;
    private final Random random = new Random(42);

    public volatile double faultRate;
    public volatile Set<Fault> faults = EnumSet.allOf(Fault.class);
    public volatile long delayMillis;
    public volatile long slowMillis = 1000;
    public volatile boolean ignoreN;
    public volatile boolean serials;
    public volatile String requiredKey;
    /** Scripted statuses for the next requests (e.g. 429, 500), then normal answers. */
    public final ConcurrentLinkedQueue<Integer> script = new ConcurrentLinkedQueue<>();
    public volatile String retryAfter = "0.02";

    public final List<Logged> log = java.util.Collections.synchronizedList(new ArrayList<>());
    public final List<JsonNode> bodies = java.util.Collections.synchronizedList(new ArrayList<>());
    public final List<String> authHeaders = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Clean deliveries by serial (when serials are on). */
    public final Map<Long, Served> served = new ConcurrentHashMap<>();
    /** Clean deliveries per "tag|seed|choice". */
    public final Map<String, AtomicInteger> cleanCount = new ConcurrentHashMap<>();
    public final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong nextSerial = new AtomicLong();

    public OpenAiTestServer(String modelName) throws IOException {
        this.modelName = modelName;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
        server.setExecutor(executor);
        server.createContext("/v1/models", this::models);
        server.createContext("/v1/chat/completions", ex -> complete(ex, true));
        server.createContext("/v1/completions", ex -> complete(ex, false));
        server.start();
    }

    public int port() { return server.getAddress().getPort(); }

    public String url() { return "http://127.0.0.1:" + port() + "/v1"; }

    public static String text(String tag, Long seed, int choice) { return "echo:" + tag + "|seed=" + seed + "|choice=" + choice; }

    public int cleanCount(String tag, Long seed, int choice) {
        AtomicInteger c = cleanCount.get(tag + "|" + seed + "|" + choice);
        return c == null ? 0 : c.get();
    }

    public long faultCount() { return log.stream().filter(l -> !l.outcome.equals("ok")).count(); }

    private void models(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        send(ex, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"" + modelName + "\",\"object\":\"model\"},{\"id\":\"other\",\"object\":\"model\"}]}");
    }

    private void complete(HttpExchange ex, boolean chat) throws IOException {
        requests.incrementAndGet();
        JsonNode body;
        try {
            body = JSON.readTree(ex.getRequestBody().readAllBytes());
        } catch (IOException e) {
            send(ex, 400, "{\"error\":{\"message\":\"bad json\"}}");
            return;
        }
        bodies.add(body);
        authHeaders.add(ex.getRequestHeaders().getFirst("Authorization"));
        String tag = chat ? body.path("messages").get(body.path("messages").size() - 1).path("content").asText() : body.path("prompt").asText();
        Long seed = body.has("seed") ? body.get("seed").asLong() : null;
        int n = body.path("n").asInt(1);
        String path = chat ? "chat" : "completions";
        if (requiredKey != null && !("Bearer " + requiredKey).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            log.add(new Logged(path, tag, seed, n, "401"));
            send(ex, 401, "{\"error\":{\"message\":\"bad key\"}}");
            return;
        }
        if (!body.path("model").isTextual()) {
            log.add(new Logged(path, tag, seed, n, "400"));
            send(ex, 400, "{\"error\":{\"message\":\"model is required\"}}");
            return;
        }
        Integer scripted = script.poll();
        if (scripted != null) {
            log.add(new Logged(path, tag, seed, n, String.valueOf(scripted)));
            if (scripted == 429) ex.getResponseHeaders().add("Retry-After", retryAfter);
            send(ex, scripted, "{\"error\":{\"message\":\"scripted " + scripted + "\"}}");
            return;
        }
        Fault fault = pickFault();
        log.add(new Logged(path, tag, seed, n, fault == null ? "ok" : fault.name()));
        if (fault != null) {
            switch (fault) {
                case RATE_LIMIT -> {
                    ex.getResponseHeaders().add("Retry-After", retryAfter);
                    send(ex, 429, "{\"error\":{\"message\":\"rate limited\"}}");
                }
                case SERVER_ERROR -> send(ex, 500, "{\"error\":{\"message\":\"internal error\"}}");
                case SLOW -> {
                    sleep(slowMillis);
                    try {
                        send(ex, 200, answer(chat, tag, seed, n, false));
                    } catch (IOException ignored) {
                        // the client gave up long ago
                    }
                }
                case RESET -> ex.close(); // no status line at all: the connection is closed
                case MALFORMED -> send(ex, 200, "this is not JSON {");
                case TRUNCATED -> {
                    String full = answer(chat, tag, seed, n, false);
                    send(ex, 200, full.substring(0, full.length() / 2));
                }
            }
            return;
        }
        if (delayMillis > 0) sleep(delayMillis);
        send(ex, 200, answer(chat, tag, seed, n, true));
    }

    private Fault pickFault() {
        synchronized (random) {
            if (faultRate <= 0 || random.nextDouble() >= faultRate) return null;
            List<Fault> fs = new ArrayList<>(faults);
            return fs.get(random.nextInt(fs.size()));
        }
    }

    private String answer(boolean chat, String tag, Long seed, int n, boolean clean) {
        int choices = ignoreN ? 1 : n;
        ObjectNode root = JSON.createObjectNode();
        root.put("id", "cmpl-test").put("object", chat ? "chat.completion" : "text_completion").put("model", modelName);
        ArrayNode arr = root.putArray("choices");
        long promptTokens = tag.length();
        for (int i = 0; i < choices; i++) {
            String text = text(tag, seed, i);
            long serial = -1;
            if (serials) {
                serial = nextSerial.incrementAndGet();
                text += "|serial=" + serial;
            }
            ObjectNode c = arr.addObject();
            c.put("index", i);
            if (chat) c.putObject("message").put("role", "assistant").put("content", text);
            else c.put("text", text);
            c.put("finish_reason", i % 2 == 0 ? "stop" : "length");
            if (clean) {
                cleanCount.computeIfAbsent(tag + "|" + seed + "|" + i, k -> new AtomicInteger()).incrementAndGet();
                if (serials) served.put(serial, new Served(tag, seed, i, text, i == 0 ? promptTokens : 0, 3));
            }
        }
        root.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", 3L * choices)
                .put("total_tokens", promptTokens + 3L * choices);
        return root.toString();
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
