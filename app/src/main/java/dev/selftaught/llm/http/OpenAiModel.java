package dev.selftaught.llm.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.data.InputError;
import dev.selftaught.llm.Completion;
import dev.selftaught.llm.InvalidModelRequestException;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.ModelSpec;
import dev.selftaught.llm.ModelStats;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.llm.TokenLogprob;
import dev.selftaught.llm.Usage;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link LanguageModel} served by one or more OpenAI-compatible HTTP endpoints (vLLM, SGLang,
 * llama.cpp server, Ollama, OpenAI). Chat requests go to {@code /chat/completions}, raw prompts to
 * {@code /completions}. See docs/llm.md for retries, load balancing and limits.
 */
public final class OpenAiModel implements LanguageModel {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longest Retry-After we honour; a server asking for more is treated as asking for this. */
    private static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(5);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);

    private final String modelName;
    private final ModelOptions options;
    private final EndpointPool pool;
    private final Http1Client client;
    private final String[] authHeaders; // per endpoint index: "Authorization: ...\r\n" or ""; never logged
    private final RateLimiter requestLimiter;
    private final RateLimiter tokenLimiter;

    private final LongAdder calls = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder completionTokens = new LongAdder();
    private final DoubleAdder cost = new DoubleAdder();

    /**
     * A model over {@code endpoints}, sending {@code apiKey} (null: none) to every one of them, with
     * the proxies of the environment. The key rules of {@link #open} apply (no key over plain http
     * to a non-loopback host unless the options allow it).
     */
    public OpenAiModel(List<URI> endpoints, String modelName, String apiKey, ModelOptions options) {
        this(endpoints, modelName, Collections.nCopies(endpoints.size(), apiKey), options, HttpProxies.fromEnv(System.getenv()), null);
    }

    /** The full form: one key (or null) per endpoint, explicit proxies, TLS sockets from {@code tls} (null: the JDK default). */
    OpenAiModel(List<URI> endpoints, String modelName, List<String> keys, ModelOptions options, HttpProxies proxies,
                javax.net.ssl.SSLSocketFactory tls) {
        if (modelName == null || modelName.isBlank()) throw new IllegalArgumentException("model name is required");
        this.modelName = modelName;
        this.options = options;
        this.client = new Http1Client(options.maxResponseBytes(), proxies, tls);
        List<URI> bases = new ArrayList<>();
        for (URI u : endpoints) bases.add(withoutQuery(u));
        this.authHeaders = new String[bases.size()];
        for (int i = 0; i < bases.size(); i++) {
            authHeaders[i] = authHeader(bases.get(i), keys.get(i), options, proxies);
        }
        Duration cooldown = clamp(options.retryDelay().multipliedBy(10), Duration.ofMillis(10), Duration.ofSeconds(5));
        this.pool = new EndpointPool(bases, options.concurrency(), 3, cooldown, Duration.ofSeconds(60));
        this.requestLimiter = options.requestsPerMinute() > 0 ? new RateLimiter(options.requestsPerMinute()) : null;
        this.tokenLimiter = options.tokensPerMinute() > 0 ? new RateLimiter(options.tokensPerMinute()) : null;
    }

    /**
     * Opens a spec. Each endpoint gets the API key of the environment variable its URL names
     * ({@code ?key_env=VAR}), else of {@code options.apiKeyEnv()} when the user gave one, else no
     * key at all: a key goes only where the user said it should. The model name comes from the
     * spec, the options or /v1/models.
     */
    public static OpenAiModel open(ModelSpec.Http spec, ModelOptions options) {
        return open(spec, options, System::getenv, HttpProxies.fromEnv(System.getenv()));
    }

    static OpenAiModel open(ModelSpec.Http spec, ModelOptions options, java.util.function.Function<String, String> env, HttpProxies proxies) {
        List<String> keys = new ArrayList<>();
        for (URI u : spec.endpoints()) {
            String own = keyEnvOf(u);
            String var = own != null ? own : options.apiKeyEnv();
            if (var == null) {
                keys.add(null);
                continue;
            }
            String key = env.apply(var);
            if (key == null || key.isBlank()) {
                throw new InputError("environment variable " + var + " (named by " + (own != null ? "key_env in the model URL" : "--api-key-env")
                        + ") is not set or empty; export it with the API key of " + EndpointPool.display(u));
            }
            keys.add(key.strip());
        }
        String name = spec.modelName() != null ? spec.modelName() : options.modelName();
        OpenAiModel m = new OpenAiModel(spec.endpoints(), name == null ? "?" : name, keys, options, proxies, null);
        if (name == null) {
            try {
                return new OpenAiModel(spec.endpoints(), m.discoverModelName(), keys, options, proxies, null);
            } finally {
                m.close();
            }
        }
        return m;
    }

    /** The environment variable named by a URL's {@code key_env=VAR} query, or null. */
    static String keyEnvOf(URI u) {
        String q = u.getQuery();
        return q != null && q.startsWith("key_env=") ? q.substring("key_env=".length()) : null;
    }

    private static URI withoutQuery(URI u) {
        if (u.getRawQuery() == null && u.getRawFragment() == null) return u;
        try {
            return new URI(u.getScheme(), u.getRawUserInfo() == null ? null : u.getUserInfo(), u.getHost(), u.getPort(), u.getPath(), null, null);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /**
     * The Authorization header for one endpoint: the Bearer key if there is one, else Basic
     * credentials from the URL's user info, else none. Credentials never travel in clear text over
     * the network: plain http to a host (or through a proxy) that is not loopback is refused unless
     * the options allow it ({@code --allow-insecure-key}).
     */
    static String authHeader(URI base, String key, ModelOptions options, HttpProxies proxies) {
        String header;
        String what;
        if (key != null && !key.isBlank()) {
            if (key.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) throw new InputError("the API key for " + EndpointPool.display(base) + " contains control characters");
            header = "Authorization: Bearer " + key.strip() + "\r\n";
            what = "an API key";
        } else if (base.getUserInfo() != null) {
            header = "Authorization: Basic " + java.util.Base64.getEncoder().encodeToString(base.getUserInfo().getBytes(StandardCharsets.UTF_8)) + "\r\n";
            what = "the URL's user:password";
        } else {
            return "";
        }
        if ("http".equalsIgnoreCase(base.getScheme()) && !options.allowInsecureKey()) {
            URI proxy = proxies.proxyFor(base);
            String exposed = !isLoopback(base.getHost()) ? base.getHost() : proxy != null && !isLoopback(proxy.getHost()) ? proxy.getHost() : null;
            if (exposed != null) {
                throw new InputError("refusing to send " + what + " in clear text over plain http to " + exposed + " (" + EndpointPool.display(base)
                        + "); use https, or pass --allow-insecure-key if this network is trusted");
            }
        }
        return header;
    }

    /** Loopback by its literal name or address (no DNS lookup: a name is only trusted as "localhost"). */
    static boolean isLoopback(String host) {
        String h = host.toLowerCase(java.util.Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
        if (h.equals("localhost") || h.endsWith(".localhost")) return true;
        if (h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) return true;
        return h.equals("::1") || h.equals("0:0:0:0:0:0:0:1");
    }

    /** The first model that GET {base}/models lists, asking each endpoint in turn. */
    String discoverModelName() {
        List<String> problems = new ArrayList<>();
        for (EndpointPool.Endpoint ep : pool.endpoints()) {
            URI base = ep.base;
            String where = EndpointPool.display(base) + "/models";
            long deadline = System.nanoTime() + clamp(options.requestTimeout(), Duration.ofSeconds(1), Duration.ofSeconds(60)).toNanos();
            try (Http1Connection c = client.open(base, deadline)) {
                Http1Connection.Response r = c.exchange("GET", Http1Connection.hostHeader(base), base.getRawPath() + "/models", authHeaders[ep.index], null, deadline);
                if (r.status() != 200) {
                    problems.add(where + " answered HTTP " + r.status());
                    continue;
                }
                JsonNode data = JSON.readTree(r.body()).path("data");
                if (data.isArray() && !data.isEmpty() && data.get(0).path("id").isTextual()) return data.get(0).get("id").asText();
                problems.add(where + " lists no model");
            } catch (IOException e) {
                problems.add(where + ": " + e);
            }
        }
        throw new ModelException("could not learn the served model name (" + String.join("; ", problems)
                + "); give it as SPEC#NAME or --model-name NAME", false);
    }

    public String modelName() { return modelName; }

    @Override
    public String identity() { return "openai:" + modelName; }

    @Override
    public String toString() { return "OpenAiModel[" + modelName + " @ " + pool.endpoints() + "]"; }

    @Override
    public ModelResponse complete(ModelRequest request) {
        SamplingParams p = request.params();
        ParsedResponse first = call(request);
        List<Completion> out = new ArrayList<>(first.completions);
        Usage usage = first.usage;
        if (out.size() > p.n()) out = new ArrayList<>(out.subList(0, p.n()));
        if (out.size() < p.n()) {
            // The server ignored n (Ollama does): ask for each missing sample on its own, with its own seed.
            int have = out.size();
            List<ModelRequest> missing = new ArrayList<>();
            for (int i = have; i < p.n(); i++) missing.add(request.withParams(p.withN(1).withSeed(p.sampleSeed(i))));
            List<ParsedResponse> extra = callAll(missing);
            for (ParsedResponse r : extra) {
                if (r.completions.isEmpty()) throw new ModelException(pool.endpoints() + " returned no choices", true);
                out.add(r.completions.getFirst());
                usage = usage.plus(r.usage);
            }
        }
        return new ModelResponse(out, usage);
    }

    private List<ParsedResponse> callAll(List<ModelRequest> requests) {
        if (requests.size() == 1) return List.of(call(requests.getFirst()));
        try (var exec = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ParsedResponse>> fs = new ArrayList<>();
            for (ModelRequest r : requests) fs.add(exec.submit(() -> call(r)));
            List<ParsedResponse> out = new ArrayList<>();
            for (Future<ParsedResponse> f : fs) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    throw ModelException.of(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ModelException("interrupted", false, e);
                }
            }
            return out;
        }
    }

    private record ParsedResponse(List<Completion> completions, Usage usage) {}

    /** Thrown inside one attempt; carries what the retry loop needs. */
    private static final class AttemptFailure extends Exception {
        final boolean retryable;
        final boolean endpointFault;
        final Duration retryAfter;

        AttemptFailure(String message, boolean retryable, boolean endpointFault, Duration retryAfter, Throwable cause) {
            super(message, cause);
            this.retryable = retryable;
            this.endpointFault = endpointFault;
            this.retryAfter = retryAfter;
        }
    }

    /** One logical call with retries, load balancing and limits. */
    private ParsedResponse call(ModelRequest request) {
        byte[] body = requestBody(request);
        String path = request.isChat() ? "/chat/completions" : "/completions";
        double estimatedTokens = estimateTokens(request);
        AttemptFailure last = null;
        try {
            for (int attempt = 0; attempt <= options.maxRetries(); attempt++) {
                if (attempt > 0) {
                    retries.increment();
                    sleep(backoff(attempt, last.retryAfter));
                }
                if (requestLimiter != null) requestLimiter.acquire(1);
                if (tokenLimiter != null) tokenLimiter.acquire(estimatedTokens);
                EndpointPool.Endpoint ep = pool.acquire();
                boolean endpointFault = false;
                try {
                    ParsedResponse r = attempt(ep, path, body, request.isChat());
                    calls.increment();
                    promptTokens.add(r.usage.promptTokens());
                    completionTokens.add(r.usage.completionTokens());
                    if (options.price() != null) cost.add(options.price().cost(r.usage));
                    if (tokenLimiter != null) tokenLimiter.adjust(estimatedTokens - r.usage.totalTokens());
                    return r;
                } catch (AttemptFailure f) {
                    endpointFault = f.endpointFault;
                    last = f;
                    if (!f.retryable) break;
                } finally {
                    pool.release(ep, endpointFault);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelException("interrupted", false, e);
        }
        failures.increment();
        if (last.retryable) {
            throw new ModelException(last.getMessage() + " (gave up after " + (options.maxRetries() + 1) + " attempts)", true, last);
        }
        throw new ModelException(last.getMessage(), false, last);
    }

    private ParsedResponse attempt(EndpointPool.Endpoint ep, String path, byte[] body, boolean chat) throws AttemptFailure {
        String where = EndpointPool.display(ep.base) + path;
        long deadline = System.nanoTime() + options.requestTimeout().toNanos();
        Http1Connection.Response resp;
        try {
            resp = client.post(ep.base, path, authHeaders[ep.index], body, deadline);
        } catch (HttpTimeoutException e) {
            throw new AttemptFailure(where + ": no answer within " + options.requestTimeout().toMillis() + " ms", true, true, null, e);
        } catch (ConnectException e) {
            throw new AttemptFailure(where + ": cannot connect (" + e.getMessage() + ")", true, true, null, e);
        } catch (IOException e) {
            throw new AttemptFailure(where + ": connection failed (" + e + ")", true, true, null, e);
        } catch (StackOverflowError | OutOfMemoryError e) {
            // A hostile or broken server must cost one failed call, not the process: the cause is
            // kept in the message (it reaches the call store and the output row).
            throw new AttemptFailure(where + ": response could not be handled (" + e + ")", false, true, null, e);
        }
        int status = resp.status();
        if (status != 200) {
            boolean retryable = status == 408 || status == 409 || status == 429 || status >= 500;
            String ra = resp.headers().get("retry-after");
            Duration retryAfter = ra == null ? null : parseRetryAfter(ra);
            throw new AttemptFailure(where + ": HTTP " + status + errorDetail(resp.body()), retryable, status >= 500, retryAfter, null);
        }
        try {
            return parse(resp.body(), chat);
        } catch (IOException | RuntimeException e) {
            throw new AttemptFailure(where + ": malformed response (" + e.getMessage() + ")", true, true, null, e);
        }
    }

    static ParsedResponse parse(byte[] body, boolean chat) throws IOException {
        JsonNode root = JSON.readTree(body);
        if (root == null || !root.isObject()) throw new IOException("not a JSON object");
        JsonNode choices = root.get("choices");
        if (choices == null || !choices.isArray() || choices.isEmpty()) throw new IOException("no 'choices' array");
        Completion[] byIndex = new Completion[choices.size()];
        int next = 0;
        for (JsonNode c : choices) {
            int idx = c.path("index").isInt() ? c.get("index").asInt() : next;
            next++;
            JsonNode textNode = chat ? c.path("message").path("content") : c.path("text");
            if (!textNode.isTextual() && !textNode.isNull()) throw new IOException("choice " + idx + " has no text");
            String text = textNode.isTextual() ? textNode.asText() : "";
            String finish = c.path("finish_reason").isTextual() ? c.get("finish_reason").asText() : "stop";
            if (idx < 0 || idx >= byIndex.length || byIndex[idx] != null) throw new IOException("bad choice index " + idx);
            byIndex[idx] = new Completion(text, finish, logprobs(c.get("logprobs"), chat), null);
        }
        JsonNode u = root.path("usage");
        Usage usage = new Usage(u.path("prompt_tokens").asLong(0), u.path("completion_tokens").asLong(0));
        return new ParsedResponse(Arrays.asList(byIndex), usage);
    }

    /** A choice's log-probabilities in either wire shape (chat's content[] or the legacy arrays), or null when absent. */
    static List<TokenLogprob> logprobs(JsonNode lp, boolean chat) throws IOException {
        if (lp == null || lp.isNull()) return null;
        List<TokenLogprob> out = new ArrayList<>();
        if (chat) {
            JsonNode content = lp.path("content");
            if (content.isNull() || content.isMissingNode()) return null;
            if (!content.isArray()) throw new IOException("logprobs.content is not an array");
            for (JsonNode e : content) {
                List<TokenLogprob.Alternative> top = new ArrayList<>();
                for (JsonNode a : e.path("top_logprobs")) {
                    top.add(new TokenLogprob.Alternative(a.path("token").asText(), bytes(a), a.path("logprob").asDouble()));
                }
                if (!e.path("logprob").isNumber()) throw new IOException("logprobs.content entry without a numeric logprob");
                out.add(new TokenLogprob(e.path("token").asText(), bytes(e), e.get("logprob").asDouble(), top));
            }
            return out;
        }
        JsonNode tokens = lp.path("tokens"), values = lp.path("token_logprobs"), tops = lp.path("top_logprobs");
        if (!tokens.isArray() || !values.isArray() || tokens.size() != values.size()) throw new IOException("logprobs.tokens and token_logprobs differ");
        for (int i = 0; i < tokens.size(); i++) {
            List<TokenLogprob.Alternative> top = new ArrayList<>();
            JsonNode t = tops.path(i);
            for (var it = t.fields(); it.hasNext(); ) {
                var f = it.next();
                top.add(new TokenLogprob.Alternative(f.getKey(), f.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8), f.getValue().asDouble()));
            }
            top.sort((a, b) -> Double.compare(b.logprob(), a.logprob()));
            String tok = tokens.get(i).asText();
            out.add(new TokenLogprob(tok, tok.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    values.get(i).isNumber() ? values.get(i).asDouble() : null, top));
        }
        return out;
    }

    private static byte[] bytes(JsonNode entry) {
        JsonNode b = entry.get("bytes");
        if (b == null || !b.isArray()) return entry.path("token").asText().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] out = new byte[b.size()];
        for (int i = 0; i < out.length; i++) out[i] = (byte) b.get(i).asInt();
        return out;
    }

    /**
     * The request body: standard fields, vLLM's top_k/min_p only when set, then {@code extra}
     * verbatim, except {@link SamplingParams#LOGPROBS}, written in the endpoint's shape.
     */
    byte[] requestBody(ModelRequest request) {
        SamplingParams p = request.params();
        ObjectNode body = JSON.createObjectNode();
        body.put("model", modelName);
        if (request.isChat()) {
            ArrayNode msgs = body.putArray("messages");
            for (ChatMessage m : request.messages()) msgs.addObject().put("role", m.role()).put("content", m.content());
        } else {
            body.put("prompt", request.prompt());
        }
        body.put("temperature", p.temperature());
        body.put("top_p", p.topP());
        body.put("max_tokens", p.maxTokens());
        body.put("n", p.n());
        if (!p.stop().isEmpty()) {
            ArrayNode stop = body.putArray("stop");
            p.stop().forEach(stop::add);
        }
        if (p.seed() != null) body.put("seed", p.seed());
        if (p.topK() > 0) body.put("top_k", p.topK());
        if (p.minP() > 0) body.put("min_p", p.minP());
        for (Map.Entry<String, Object> e : p.extra().entrySet()) {
            if (e.getKey().equals(SamplingParams.LOGPROBS)) continue;
            if (e.getKey().equals(SamplingParams.ECHO)) {
                throw new InvalidModelRequestException("echo is not supported by the HTTP backend (its prompt part cannot be told apart)", "echo", "unsupported");
            }
            body.set(e.getKey(), JSON.valueToTree(e.getValue()));
        }
        if (p.topLogprobs() >= 0) {
            if (request.isChat()) body.put("logprobs", true).put("top_logprobs", p.topLogprobs());
            else body.put("logprobs", p.topLogprobs());
        }
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new ModelException("cannot encode request: " + e.getMessage(), false, e);
        }
    }

    private static double estimateTokens(ModelRequest r) {
        long chars = r.isChat() ? r.messages().stream().mapToLong(m -> m.content().length() + 8).sum() : r.prompt().length();
        return chars / 4.0 + (double) r.params().maxTokens() * r.params().n();
    }

    private Duration backoff(int attempt, Duration retryAfter) {
        long base = options.retryDelay().toNanos();
        long cap = Math.max(base, MAX_BACKOFF.toNanos());
        long exp = base << Math.min(attempt - 1, 20);
        if (exp <= 0 || exp > cap) exp = cap;
        // "Equal jitter": half fixed, half random, so retries of many requests spread out.
        long nanos = exp / 2 + (long) (ThreadLocalRandom.current().nextDouble() * (exp / 2.0));
        if (retryAfter != null) nanos = Math.max(nanos, retryAfter.toNanos());
        return Duration.ofNanos(nanos);
    }

    static Duration parseRetryAfter(String v) {
        String s = v.strip();
        try {
            double secs = Double.parseDouble(s);
            if (secs < 0) return null;
            Duration d = Duration.ofMillis((long) (secs * 1000));
            return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
        } catch (NumberFormatException ignored) {
            // an HTTP-date
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
            if (d.isNegative()) return Duration.ZERO;
            return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String errorDetail(byte[] body) {
        if (body == null || body.length == 0) return "";
        String text;
        try {
            JsonNode n = JSON.readTree(body);
            JsonNode msg = n.path("error").path("message");
            text = msg.isTextual() ? msg.asText() : n.path("error").isTextual() ? n.get("error").asText() : new String(body, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            text = new String(body, StandardCharsets.UTF_8);
        }
        text = text.replaceAll("\\s+", " ").strip();
        if (text.length() > 300) text = text.substring(0, 300) + "...";
        return text.isEmpty() ? "" : ": " + text;
    }

    private static void sleep(Duration d) throws InterruptedException {
        long n = d.toNanos();
        if (n > 0) Thread.sleep(n / 1_000_000, (int) (n % 1_000_000));
    }

    private static Duration clamp(Duration d, Duration lo, Duration hi) {
        return d.compareTo(lo) < 0 ? lo : d.compareTo(hi) > 0 ? hi : d;
    }

    /** True while endpoint {@code index} is out of rotation. */
    public boolean endpointDown(int index) { return pool.isDown(index); }

    /** How often endpoint {@code index} was taken out of rotation. */
    public long endpointEjections(int index) { return pool.ejections(index); }

    @Override
    public ModelStats stats() {
        Double c = options.price() == null ? null : cost.sum();
        return new ModelStats(calls.sum(), retries.sum(), failures.sum(), promptTokens.sum(), completionTokens.sum(), c, 0);
    }

    @Override
    public void close() {
        client.close();
    }
}
