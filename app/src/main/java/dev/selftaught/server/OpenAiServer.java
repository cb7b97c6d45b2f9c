package dev.selftaught.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.InputError;
import dev.selftaught.data.Json;
import dev.selftaught.llm.Completion;
import dev.selftaught.llm.InvalidModelRequestException;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.Usage;
import dev.selftaught.server.http.Exchange;
import dev.selftaught.server.http.Http1Server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible HTTP server over any {@link LanguageModel}: {@code POST /v1/chat/completions},
 * {@code POST /v1/completions} (both with SSE streaming), {@code GET /v1/models}, and
 * {@code GET /health}, on the project's own {@link Http1Server}.
 *
 * <p>The request pipeline (docs/server.md): <b>parse and validate</b> ({@link OpenAiRequest}: every
 * field checked to a range that cannot overflow, unknown fields refused) → <b>admit</b>
 * ({@link Admission}: at most {@link ServerOptions#maxQueue()} completions in the model at once,
 * 429 + {@code Retry-After} beyond) → <b>schedule</b> ({@link LanguageModel#submit}: the embedded
 * engine decodes every admitted sequence in one running batch, joining and leaving at token
 * granularity) → <b>stream back</b> (text is queued by the engine thread and written by the
 * request's own thread, so a slow client never holds up the batch) → <b>cancel on disconnect</b>
 * (the connection's reader sees the client hang up, streamed or not, and cancels the request's
 * future, which takes its sequences out of the batch at the next token).
 *
 * <p>Usable in-process: {@code try (var s = OpenAiServer.start(model, ServerOptions.defaults("m")))
 * { s.port(); ... }}. {@link #stop()} stops accepting connections and lets in-flight requests
 * finish for up to {@link ServerOptions#shutdownGrace()}.
 */
public final class OpenAiServer implements AutoCloseable {
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final String JSON = "application/json";

    private final LanguageModel model;
    private final ServerOptions opts;
    private final Http1Server http;
    private final Admission admission;
    private final long createdAt = System.currentTimeMillis() / 1000;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final byte[] expectedAuth;
    private volatile LoraAdapters adapters; // runtime LoRA (serve --lora-root), or null

    private OpenAiServer(LanguageModel model, ServerOptions opts) throws IOException {
        this.model = model;
        this.opts = opts;
        this.admission = new Admission(opts.maxQueue());
        this.expectedAuth = opts.apiKey() == null ? null : ("Bearer " + opts.apiKey()).getBytes(StandardCharsets.UTF_8);
        this.http = Http1Server.start(opts.host(), opts.port(), opts.http(), this::handle,
                (status, code, message) -> bytes(new ApiError(status, status >= 500 ? "server_error" : "invalid_request_error",
                        null, code, message).body()),
                (remote, method, target, status, nanos) -> opts.log().accept(LogLine.format(remote, method, target, status, nanos)));
    }

    /** Binds and starts serving. Throws UncheckedIOException when the address cannot be bound. */
    public static OpenAiServer start(LanguageModel model, ServerOptions opts) {
        try {
            return new OpenAiServer(model, opts);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + opts.host() + ":" + opts.port() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Turns on vLLM's runtime LoRA routes (POST /v1/load_lora_adapter, /v1/unload_lora_adapter) for
     * PEFT adapters under {@code root}, at most {@code maxAdapters} at once (see {@link LoraAdapters}).
     */
    public OpenAiServer withLoraAdapters(java.nio.file.Path root, int maxAdapters, long maxWeightBytes, int threads) {
        this.adapters = new LoraAdapters(model, opts.modelName(), root, maxAdapters, maxWeightBytes, threads);
        return this;
    }

    /** Closes the models of loaded adapters (the base model is the caller's). */
    public void closeAdapters() {
        if (adapters != null) adapters.closeAll();
    }

    /** The bound port (the real one when started on port 0). */
    public int port() {
        return http.port();
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

    /** Completions admitted into the model right now (decoding or waiting for a place). */
    public int admitted() {
        return admission.used();
    }

    /** Open client connections. */
    public int connections() {
        return http.connectionCount();
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
            http.stop(opts.shutdownGrace().toNanos());
        } finally {
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

    private void handle(Exchange ex) throws IOException {
        inFlight.incrementAndGet();
        try {
            route(ex);
        } catch (ApiError e) {
            sendError(ex, e);
        } catch (RuntimeException e) {
            sendError(ex, new ApiError(500, "server_error", null, "internal_error", "internal server error: " + oneLine(e)));
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void route(Exchange ex) throws IOException {
        String path = ex.path();
        if (path.length() > 1 && path.endsWith("/")) path = path.substring(0, path.length() - 1);
        String method = ex.method();
        if (path.equals("/health")) {
            requireMethod(ex, "GET");
            boolean alive = model.healthy();
            ObjectNode h = Json.MAPPER.createObjectNode().put("status", !alive ? "unhealthy" : stopping.get() ? "stopping" : "ok")
                    .put("requests_in_flight", inFlight.get() - 1).put("completions_admitted", admission.used())
                    .put("max_queue", opts.maxQueue());
            sendJson(ex, alive ? 200 : 503, h);
            return;
        }
        if (!path.equals("/v1") && !path.startsWith("/v1/")) throw notFound(method, path);
        authorize(ex);
        if (stopping.get()) throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down; retry on another server");
        switch (path) {
            case "/v1/models" -> {
                requireMethod(ex, "GET");
                ObjectNode list = Json.MAPPER.createObjectNode().put("object", "list");
                ArrayNode data = list.putArray("data");
                data.add(modelCard());
                if (adapters != null) for (String a : adapters.names()) data.add(modelCard().put("id", a).put("parent", opts.modelName()));
                sendJson(ex, 200, list);
            }
            case "/v1/load_lora_adapter", "/v1/unload_lora_adapter" -> {
                requireMethod(ex, "POST");
                if (adapters == null) throw notFound(method, path); // only with serve --lora-root
                ObjectNode body = readJsonBody(ex);
                String what = path.endsWith("/load_lora_adapter") ? "loaded" : "unloaded";
                if (what.equals("loaded")) adapters.load(body);
                else adapters.unload(body);
                ex.respond(200, "text/plain; charset=utf-8",
                        ("Success: LoRA adapter '" + body.path("lora_name").asText() + "' " + what + ".").getBytes(StandardCharsets.UTF_8), null);
            }
            case "/v1/chat/completions" -> {
                requireMethod(ex, "POST");
                complete(ex, true);
            }
            case "/v1/completions" -> {
                requireMethod(ex, "POST");
                complete(ex, false);
            }
            default -> {
                if (path.startsWith("/v1/models/")) {
                    requireMethod(ex, "GET");
                    String id = path.substring("/v1/models/".length());
                    if (!id.equals(opts.modelName()) && (adapters == null || !adapters.names().contains(id))) {
                        throw new ApiError(404, "invalid_request_error", "model", "model_not_found",
                                "The model '" + LogLine.escape(id) + "' does not exist");
                    }
                    sendJson(ex, 200, modelCard());
                    return;
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
                "Unknown request URL: " + method + " " + LogLine.escape(path)
                        + ". Routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health");
    }

    private static void requireMethod(Exchange ex, String method) {
        if (!ex.method().equals(method)) {
            throw new ApiError(405, "invalid_request_error", null, "method_not_allowed",
                    ex.method() + " is not allowed on " + LogLine.escape(ex.path()) + "; use " + method).header("Allow", method);
        }
    }

    private void authorize(Exchange ex) {
        if (expectedAuth == null) return;
        String got = ex.header("Authorization");
        byte[] gotBytes = got == null ? new byte[0] : got.trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(expectedAuth, gotBytes)) { // constant time: no timing oracle on the key
            throw new ApiError(401, "invalid_request_error", null, "invalid_api_key",
                    got == null ? "Missing API key: send the header 'Authorization: Bearer KEY'" : "Incorrect API key provided")
                    .header("WWW-Authenticate", "Bearer");
        }
    }

    // ---------------------------------------------------------------- completions

    private void complete(Exchange ex, boolean chat) throws IOException {
        ObjectNode body = readJsonBody(ex);
        // A request naming a loaded adapter is validated as one for the base, then decoded by the adapter's model.
        String adapter = adapters != null && body.path("model").isTextual() && adapters.names().contains(body.get("model").asText())
                ? body.get("model").asText() : null;
        if (adapter != null) body.put("model", opts.modelName());
        OpenAiRequest req = OpenAiRequest.parse(body, chat, opts);
        int completions = req.requests().size() * req.requests().getFirst().params().n();
        if (!admission.tryAcquire(completions)) {
            throw new ApiError(429, "requests", null, "rate_limit_exceeded",
                    "this server is at its limit of " + opts.maxQueue() + " completions being generated or queued; retry after a second")
                    .header("Retry-After", "1");
        }
        LanguageModel target = adapter == null ? model : adapters.acquire(adapter);
        if (target == null) {
            admission.release(completions);
            throw new ApiError(404, "invalid_request_error", "model", "model_not_found", "The model '" + adapter + "' was just unloaded");
        }
        Call call = new Call(req, target, adapter == null ? opts.modelName() : adapter);
        if (adapter != null) call.whenDoneOrNow(() -> adapters.release(adapter, target));
        try {
            call.start();
            // A client that hangs up (streamed or not) cancels its completions in the engine.
            ex.onClientGone(call::cancel);
            String id = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
            long created = System.currentTimeMillis() / 1000;
            if (req.stream()) stream(ex, call, id, created);
            else answer(ex, call, id, created);
        } finally {
            call.cancel(); // no-op when done; frees the engine if we leave early
            call.whenDone(() -> admission.release(completions));
        }
    }

    /** The model calls of one HTTP request (one per prompt), and the text they stream. */
    private final class Call {
        final OpenAiRequest req;
        final LanguageModel model;
        final String modelName;
        final List<CompletableFuture<ModelResponse>> futures = new ArrayList<>();
        private Runnable atEnd;
        /** Streamed text and ends, in order per prompt; written by the request's own thread. */
        final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();

        Call(OpenAiRequest req, LanguageModel model, String modelName) {
            this.req = req;
            this.model = model;
            this.modelName = modelName;
        }

        /** Runs r once every completion of this call is done (the adapter it used may then be closed). */
        void whenDoneOrNow(Runnable r) { atEnd = r; }

        record Text(int prompt, int index, String text) {}

        record End(int prompt) {}

        void start() {
            for (int p = 0; p < req.requests().size(); p++) {
                final int prompt = p;
                LanguageModel.StreamListener l = req.stream() ? (i, text) -> events.add(new Text(prompt, i, text)) : null;
                CompletableFuture<ModelResponse> f;
                try {
                    f = model.submit(req.requests().get(p), l);
                } catch (RuntimeException e) {
                    cancel();
                    throw modelError(e);
                }
                futures.add(f);
                f.whenComplete((r, e) -> events.add(new End(prompt)));
            }
        }

        void cancel() {
            for (CompletableFuture<ModelResponse> f : futures) f.cancel(true);
        }

        void whenDone(Runnable r) {
            Runnable end = atEnd;
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
                r.run();
                if (end != null) end.run();
            });
        }

        ModelResponse result(int prompt) {
            try {
                return futures.get(prompt).get();
            } catch (ExecutionException e) {
                throw modelError(e.getCause());
            } catch (CancellationException e) {
                throw new ApiError(499, "invalid_request_error", null, "client_closed", "the client closed the connection");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiError(503, "server_error", null, "shutting_down", "interrupted");
            }
        }
    }

    private void answer(Exchange ex, Call call, String id, long created) throws IOException {
        OpenAiRequest req = call.req;
        ObjectNode root = Json.MAPPER.createObjectNode().put("id", id)
                .put("object", req.chat() ? "chat.completion" : "text_completion")
                .put("created", created).put("model", call.modelName);
        ArrayNode choices = root.putArray("choices");
        Usage usage = Usage.ZERO;
        int n = req.requests().getFirst().params().n();
        for (int p = 0; p < req.requests().size(); p++) {
            ModelResponse r = call.result(p);
            List<Completion> cs = r.completions();
            usage = usage.plus(r.usage());
            for (int i = 0; i < cs.size(); i++) {
                ObjectNode c = choices.addObject().put("index", p * n + i);
                if (req.chat()) c.putObject("message").put("role", "assistant").put("content", cs.get(i).text());
                else c.put("text", cs.get(i).text());
                c.putNull("logprobs");
                c.put("finish_reason", cs.get(i).finishReason());
            }
        }
        root.set("usage", usage(usage));
        sendJson(ex, 200, root);
    }

    private void stream(Exchange ex, Call call, String id, long created) throws IOException {
        OpenAiRequest req = call.req;
        ObjectNode template = Json.MAPPER.createObjectNode().put("id", id)
                .put("object", req.chat() ? "chat.completion.chunk" : "text_completion")
                .put("created", created).put("model", call.modelName);
        int n = req.requests().getFirst().params().n();
        int prompts = req.requests().size();
        // Chat streams open with a role chunk per choice at once; completion streams open with
        // their first text, so a request that fails before any text gets a plain HTTP error.
        Exchange.Stream sse = null;
        if (req.chat()) {
            sse = openStream(ex);
            for (int i = 0; i < n; i++) {
                ObjectNode delta = Json.MAPPER.createObjectNode().put("role", "assistant").put("content", "");
                send(sse, chunk(template, i, delta, null, true));
            }
        }
        Usage usage = Usage.ZERO;
        try {
            for (int ended = 0; ended < prompts; ) {
                Object e;
                try {
                    e = call.events.take();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (e instanceof Call.Text t) {
                    if (sse == null) sse = openStream(ex);
                    int index = t.prompt() * n + t.index();
                    if (req.chat()) send(sse, chunk(template, index, Json.MAPPER.createObjectNode().put("content", t.text()), null, true));
                    else send(sse, chunk(template, index, null, t.text(), false));
                } else if (e instanceof Call.End end) {
                    ended++;
                    ModelResponse r = call.result(end.prompt());
                    if (sse == null) sse = openStream(ex);
                    usage = usage.plus(r.usage());
                    for (int i = 0; i < r.completions().size(); i++) {
                        int index = end.prompt() * n + i;
                        ObjectNode last = req.chat()
                                ? chunk(template, index, Json.MAPPER.createObjectNode(), null, true)
                                : chunk(template, index, null, "", false);
                        ((ObjectNode) last.get("choices").get(0)).put("finish_reason", r.completions().get(i).finishReason());
                        send(sse, last);
                    }
                }
            }
            if (req.includeUsage()) {
                ObjectNode u = template.deepCopy();
                u.putArray("choices");
                u.set("usage", usage(usage));
                send(sse, u);
            }
        } catch (ApiError e) {
            if (e.status == 499) {
                ex.abandon();
                return;
            }
            if (sse == null) throw e; // nothing sent yet: a plain HTTP error is clearer
            // Headers are out: report the failure in-stream, as OpenAI-compatible servers do.
            call.cancel();
            send(sse, e.body());
        }
        sse.write(DONE);
        sse.end();
    }

    private static Exchange.Stream openStream(Exchange ex) throws IOException {
        return ex.stream(200, "text/event-stream; charset=utf-8", Map.of("Cache-Control", "no-cache"));
    }

    private static void send(Exchange.Stream sse, ObjectNode event) throws IOException {
        sse.write(("data: " + Json.MAPPER.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
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

    /** A model failure as an HTTP error: the caller's fault 400, retryable 503, else 500 (that request only). */
    private static ApiError modelError(Throwable t) {
        if (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
        return switch (t) {
            case ApiError a -> a;
            case InvalidModelRequestException e -> new ApiError(400, "invalid_request_error", e.param(), e.code(), oneLine(e));
            case ModelException e when e.retryable() ->
                    new ApiError(503, "server_error", null, "model_unavailable", "the model failed, try again: " + oneLine(e));
            case ModelException e -> new ApiError(500, "server_error", null, "model_error", "the model failed: " + oneLine(e));
            case InputError e -> ApiError.badRequest("invalid_request", oneLine(e));
            case IllegalArgumentException e -> ApiError.badRequest("invalid_request", oneLine(e));
            case CancellationException e -> new ApiError(499, "invalid_request_error", null, "client_closed", "cancelled");
            default -> new ApiError(500, "server_error", null, "model_error", "the model failed: " + oneLine(t));
        };
    }

    // ---------------------------------------------------------------- I/O

    private ObjectNode readJsonBody(Exchange ex) {
        byte[] bytes = ex.body(); // the HTTP layer already enforced the size limit and the framing
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

    private static byte[] bytes(ObjectNode body) {
        try {
            return Json.MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sendJson(Exchange ex, int status, ObjectNode body) throws IOException {
        ex.respond(status, JSON, bytes(body), null);
    }

    private static void sendError(Exchange ex, ApiError e) throws IOException {
        if (e.status == 499) { // nobody to tell
            ex.abandon();
            return;
        }
        ex.respond(e.status, JSON, bytes(e.body()), e.headers());
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.replaceAll("\\s+", " ").trim();
    }
}
