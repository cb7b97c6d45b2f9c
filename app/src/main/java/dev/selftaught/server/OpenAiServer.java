package dev.selftaught.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.selftaught.data.InputError;
import dev.selftaught.data.Json;
import dev.selftaught.llm.Completion;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.Usage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible HTTP server over any {@link LanguageModel}: {@code POST /v1/chat/completions},
 * {@code POST /v1/completions} (both with SSE streaming), {@code GET /v1/models}, and
 * {@code GET /health}. Built on the JDK's HTTP server with one virtual thread per request.
 *
 * <p>Usable in-process: {@code try (var s = OpenAiServer.start(model, ServerOptions.defaults("m")))
 * { s.port(); ... }}. {@link #stop()} stops accepting connections and lets in-flight requests
 * finish for up to {@link ServerOptions#shutdownGrace()}.
 */
public final class OpenAiServer implements AutoCloseable {
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final LanguageModel model;
    private final ServerOptions opts;
    private final HttpServer http;
    private final ExecutorService executor;
    private final long createdAt = System.currentTimeMillis() / 1000;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final byte[] expectedAuth;

    private OpenAiServer(LanguageModel model, ServerOptions opts) throws IOException {
        this.model = model;
        this.opts = opts;
        this.expectedAuth = opts.apiKey() == null ? null : ("Bearer " + opts.apiKey()).getBytes(StandardCharsets.UTF_8);
        this.http = HttpServer.create(new InetSocketAddress(opts.host(), opts.port()), 0);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    /** Binds and starts serving. Throws UncheckedIOException when the address cannot be bound. */
    public static OpenAiServer start(LanguageModel model, ServerOptions opts) {
        try {
            OpenAiServer s = new OpenAiServer(model, opts);
            s.http.start();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + opts.host() + ":" + opts.port() + ": " + e.getMessage(), e);
        }
    }

    /** The bound port (the real one when started on port 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** The base URL clients use, e.g. {@code http://127.0.0.1:8000/v1}. */
    public String baseUrl() {
        String h = opts.host().contains(":") ? "[" + opts.host() + "]" : opts.host();
        if (h.equals("0.0.0.0") || h.equals("[::]")) h = "127.0.0.1";
        return "http://" + h + ":" + port() + "/v1";
    }

    /** Requests being answered right now. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Stops accepting connections, waits up to the shutdown grace for in-flight requests, then
     * closes everything. Idempotent; safe from a shutdown hook. Does not close the model.
     */
    public void stop() {
        if (!stopping.compareAndSet(false, true)) {
            awaitStopped();
            return;
        }
        try {
            // HttpServer.stop closes the listening socket at once, then waits for exchanges to end;
            // but it can miss the end of the last exchange (e.g. on a kept-alive connection) and
            // wait out the whole delay. So it runs in its own thread, and is interrupted (which
            // makes it close every connection) as soon as our own count of requests in flight is 0.
            long graceSeconds = (opts.shutdownGrace().toMillis() + 999) / 1000;
            Thread stopper = Thread.ofPlatform().name("selftaught-server-stop").start(
                    () -> http.stop((int) Math.min(Integer.MAX_VALUE, graceSeconds)));
            long deadline = System.nanoTime() + opts.shutdownGrace().toNanos();
            while (inFlight.get() > 0 && System.nanoTime() < deadline && stopper.isAlive()) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            stopper.interrupt();
            try {
                stopper.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } finally {
            executor.shutdownNow();
            stopped.countDown();
        }
    }

    /** Blocks until {@link #stop()} has finished. */
    public void awaitStopped() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }

    // ---------------------------------------------------------------- dispatch

    private void handle(HttpExchange ex) {
        long t0 = System.nanoTime();
        int status;
        inFlight.incrementAndGet();
        try {
            status = route(ex);
        } catch (ApiError e) {
            status = sendError(ex, e);
        } catch (RuntimeException e) {
            status = sendError(ex, new ApiError(500, "server_error", null, "internal_error", "internal server error: " + oneLine(e)));
        } finally {
            inFlight.decrementAndGet();
            ex.close();
        }
        opts.log().accept(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " " + status + " "
                + Duration.ofNanos(System.nanoTime() - t0).toMillis() + "ms");
    }

    private int route(HttpExchange ex) {
        String path = ex.getRequestURI().getPath();
        if (path.length() > 1 && path.endsWith("/")) path = path.substring(0, path.length() - 1);
        String method = ex.getRequestMethod();
        if (path.equals("/health")) {
            requireMethod(ex, "GET");
            return sendJson(ex, 200, Json.MAPPER.createObjectNode().put("status", stopping.get() ? "stopping" : "ok"));
        }
        if (!path.equals("/v1") && !path.startsWith("/v1/")) throw notFound(method, path);
        authorize(ex);
        if (stopping.get()) throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down; retry on another server");
        switch (path) {
            case "/v1/models" -> {
                requireMethod(ex, "GET");
                ObjectNode list = Json.MAPPER.createObjectNode().put("object", "list");
                list.putArray("data").add(modelCard());
                return sendJson(ex, 200, list);
            }
            case "/v1/chat/completions" -> {
                requireMethod(ex, "POST");
                return complete(ex, true);
            }
            case "/v1/completions" -> {
                requireMethod(ex, "POST");
                return complete(ex, false);
            }
            default -> {
                if (path.startsWith("/v1/models/")) {
                    requireMethod(ex, "GET");
                    String id = path.substring("/v1/models/".length());
                    if (!id.equals(opts.modelName())) {
                        throw new ApiError(404, "invalid_request_error", "model", "model_not_found", "The model '" + id + "' does not exist");
                    }
                    return sendJson(ex, 200, modelCard());
                }
                throw notFound(method, path);
            }
        }
    }

    private ObjectNode modelCard() {
        return Json.MAPPER.createObjectNode().put("id", opts.modelName()).put("object", "model")
                .put("created", createdAt).put("owned_by", "selftaught");
    }

    private static ApiError notFound(String method, String path) {
        return new ApiError(404, "invalid_request_error", null, "unknown_url",
                "Unknown request URL: " + method + " " + path + ". Routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health");
    }

    private static void requireMethod(HttpExchange ex, String method) {
        if (!ex.getRequestMethod().equals(method)) {
            ex.getResponseHeaders().set("Allow", method);
            throw new ApiError(405, "invalid_request_error", null, "method_not_allowed",
                    ex.getRequestMethod() + " is not allowed on " + ex.getRequestURI().getPath() + "; use " + method);
        }
    }

    private void authorize(HttpExchange ex) {
        if (expectedAuth == null) return;
        String got = ex.getRequestHeaders().getFirst("Authorization");
        byte[] gotBytes = got == null ? new byte[0] : got.trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(expectedAuth, gotBytes)) { // constant time: no timing oracle on the key
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            throw new ApiError(401, "invalid_request_error", null, "invalid_api_key",
                    got == null ? "Missing API key: send the header 'Authorization: Bearer KEY'" : "Incorrect API key provided");
        }
    }

    // ---------------------------------------------------------------- completions

    private int complete(HttpExchange ex, boolean chat) {
        ObjectNode body = readJsonBody(ex);
        OpenAiRequest req = OpenAiRequest.parse(body, chat, opts);
        String id = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        long created = System.currentTimeMillis() / 1000;
        return req.stream() ? stream(ex, req, id, created) : answer(ex, req, id, created);
    }

    private int answer(HttpExchange ex, OpenAiRequest req, String id, long created) {
        List<ModelRequest> requests = req.requests();
        ModelResponse[] responses = new ModelResponse[requests.size()];
        if (requests.size() == 1) {
            responses[0] = call(() -> model.complete(requests.getFirst()));
        } else {
            ModelException[] errors = new ModelException[requests.size()];
            model.completeAll(requests, requests.size(), (i, r, e) -> {
                responses[i] = r;
                errors[i] = e;
            });
            for (ModelException e : errors) if (e != null) throw modelError(e);
        }
        ObjectNode root = Json.MAPPER.createObjectNode().put("id", id)
                .put("object", req.chat() ? "chat.completion" : "text_completion")
                .put("created", created).put("model", opts.modelName());
        ArrayNode choices = root.putArray("choices");
        Usage usage = Usage.ZERO;
        int n = requests.getFirst().params().n();
        for (int p = 0; p < responses.length; p++) {
            List<Completion> cs = responses[p].completions();
            usage = usage.plus(responses[p].usage());
            for (int i = 0; i < cs.size(); i++) {
                ObjectNode c = choices.addObject().put("index", p * n + i);
                if (req.chat()) c.putObject("message").put("role", "assistant").put("content", cs.get(i).text());
                else c.put("text", cs.get(i).text());
                c.putNull("logprobs");
                c.put("finish_reason", cs.get(i).finishReason());
            }
        }
        root.set("usage", usage(usage));
        return sendJson(ex, 200, root);
    }

    private int stream(HttpExchange ex, OpenAiRequest req, String id, long created) {
        Sse sse = new Sse(ex);
        ObjectNode template = Json.MAPPER.createObjectNode().put("id", id)
                .put("object", req.chat() ? "chat.completion.chunk" : "text_completion")
                .put("created", created).put("model", opts.modelName());
        int n = req.requests().getFirst().params().n();
        Usage usage = Usage.ZERO;
        try {
            for (int p = 0; p < req.requests().size(); p++) {
                int base = p * n;
                if (req.chat()) {
                    for (int i = 0; i < n; i++) {
                        ObjectNode delta = Json.MAPPER.createObjectNode().put("role", "assistant").put("content", "");
                        sse.send(chunk(template, base + i, delta, null, true));
                    }
                }
                ModelRequest mr = req.requests().get(p);
                ModelResponse r = call(() -> model.completeStreaming(mr, (i, text) -> {
                    if (req.chat()) sse.send(chunk(template, base + i, Json.MAPPER.createObjectNode().put("content", text), null, true));
                    else sse.send(chunk(template, base + i, null, text, false));
                }));
                usage = usage.plus(r.usage());
                for (int i = 0; i < r.completions().size(); i++) {
                    ObjectNode last = req.chat()
                            ? chunk(template, base + i, Json.MAPPER.createObjectNode(), null, true)
                            : chunk(template, base + i, null, "", false);
                    ((ObjectNode) last.get("choices").get(0)).put("finish_reason", r.completions().get(i).finishReason());
                    sse.send(last);
                }
            }
            if (req.includeUsage()) {
                ObjectNode u = template.deepCopy();
                u.putArray("choices");
                u.set("usage", usage(usage));
                sse.send(u);
            }
        } catch (ClientGone e) {
            return 200; // the client hung up; nothing left to tell it
        } catch (ApiError e) {
            if (!sse.started()) throw e; // nothing sent yet: a plain HTTP error is clearer
            // Headers are out: report the failure in-stream, as OpenAI-compatible servers do.
            try {
                sse.send(e.body());
            } catch (ClientGone ignored) {
                return e.status;
            }
        }
        sse.done();
        return 200;
    }

    private static ObjectNode chunk(ObjectNode template, int index, ObjectNode delta, String text, boolean chat) {
        ObjectNode c = template.deepCopy();
        ObjectNode choice = c.putArray("choices").addObject().put("index", index);
        if (chat) choice.set("delta", delta);
        else choice.put("text", text);
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return c;
    }

    private static ObjectNode usage(Usage u) {
        return Json.MAPPER.createObjectNode().put("prompt_tokens", u.promptTokens())
                .put("completion_tokens", u.completionTokens()).put("total_tokens", u.totalTokens());
    }

    /** Runs a model call, turning its failures into HTTP errors. */
    private static ModelResponse call(java.util.function.Supplier<ModelResponse> c) {
        try {
            return c.get();
        } catch (ClientGone | ApiError e) {
            throw e;
        } catch (ModelException e) {
            throw modelError(e);
        } catch (InputError | IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_request", oneLine(e));
        } catch (RuntimeException e) {
            // Any other failure of the model is still answered in OpenAI's shape (in-stream too).
            throw new ApiError(500, "server_error", null, "model_error", "the model failed: " + oneLine(e));
        }
    }

    private static ApiError modelError(ModelException e) {
        return e.retryable()
                ? new ApiError(503, "server_error", null, "model_unavailable", "the model failed, try again: " + oneLine(e))
                : new ApiError(500, "server_error", null, "model_error", "the model failed: " + oneLine(e));
    }

    // ---------------------------------------------------------------- I/O

    private ObjectNode readJsonBody(HttpExchange ex) {
        String cl = ex.getRequestHeaders().getFirst("Content-Length");
        if (cl != null) {
            long len;
            try {
                len = Long.parseLong(cl.trim());
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("invalid_content_length", "Content-Length is not a number");
            }
            if (len > opts.maxBodyBytes()) throw tooLarge();
        }
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, opts.maxBodyBytes() + 1));
        } catch (IOException e) {
            throw new ApiError(400, "invalid_request_error", null, "unreadable_body", "could not read the request body: " + e.getMessage());
        }
        if (bytes.length > opts.maxBodyBytes()) throw tooLarge();
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("invalid_json", "We could not parse the JSON body of your request: "
                    + e.getOriginalMessage().replaceAll("\\s+", " "));
        } catch (IOException e) {
            throw ApiError.badRequest("invalid_json", "We could not parse the JSON body of your request: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode obj)) {
            throw ApiError.badRequest("invalid_json", "the request body must be a JSON object");
        }
        return obj;
    }

    private ApiError tooLarge() {
        return new ApiError(413, "invalid_request_error", null, "request_too_large",
                "the request body is larger than this server's limit of " + opts.maxBodyBytes() + " bytes");
    }

    private static int sendJson(HttpExchange ex, int status, ObjectNode body) {
        try {
            byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            // The client went away before reading the answer: nothing more to do.
        }
        return status;
    }

    private static int sendError(HttpExchange ex, ApiError e) {
        return sendJson(ex, e.status, e.body());
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.replaceAll("\\s+", " ").trim();
    }

    /** Thrown from a stream listener when the client has disconnected: cancels the generation. */
    static final class ClientGone extends RuntimeException {
        ClientGone(IOException cause) {
            super("client disconnected", cause, false, false);
        }
    }

    /** Server-sent events on one exchange; safe to call from the model's threads. */
    private static final class Sse {
        private final HttpExchange ex;
        private OutputStream out;
        private boolean broken;

        Sse(HttpExchange ex) {
            this.ex = ex;
        }

        synchronized void send(ObjectNode event) {
            try {
                write(("data: " + Json.MAPPER.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        synchronized boolean started() {
            return out != null;
        }

        synchronized void done() {
            try {
                write(DONE);
            } catch (ClientGone ignored) {
                // finished anyway
            }
        }

        private void write(byte[] bytes) {
            if (broken) throw new ClientGone(new IOException("stream already broken"));
            try {
                if (out == null) {
                    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
                    ex.getResponseHeaders().set("Cache-Control", "no-cache");
                    ex.sendResponseHeaders(200, 0); // chunked
                    out = ex.getResponseBody();
                }
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                broken = true;
                throw new ClientGone(e);
            }
        }
    }
}
