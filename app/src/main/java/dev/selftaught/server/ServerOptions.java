package dev.selftaught.server;

import dev.selftaught.server.http.HttpLimits;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How an {@link OpenAiServer} listens and what it accepts.
 *
 * @param host             address to bind (127.0.0.1 unless the user asks otherwise)
 * @param port             port to bind; 0 picks a free one ({@link OpenAiServer#port()} tells which)
 * @param modelName        the served model name listed by /v1/models; requests naming another model get 404
 * @param apiKey           when non-null, every /v1 request must carry {@code Authorization: Bearer <apiKey>}
 * @param maxN             most completions per request ({@code n} × prompts); more gets 400
 * @param maxTokensLimit   most {@code max_tokens} a request may ask for; more gets 400
 * @param defaultMaxTokens {@code max_tokens} when a request gives none (capped by maxTokensLimit)
 * @param maxQueue         most completions admitted at once (being decoded or waiting for a place in
 *                         the batch); a request that would pass it gets 429 with {@code Retry-After}
 * @param shutdownGrace    how long {@link OpenAiServer#stop()} lets in-flight requests finish
 * @param http             connection, header, body and timeout limits of the HTTP layer
 * @param log              one line per request (remote, method, target, status, time), control characters
 *                         escaped; never request bodies or keys
 */
public record ServerOptions(String host, int port, String modelName, String apiKey, int maxN, int maxTokensLimit,
                            int defaultMaxTokens, int maxQueue, Duration shutdownGrace, HttpLimits http,
                            Consumer<String> log) {
    public ServerOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(modelName, "modelName");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        if (maxN <= 0) throw new IllegalArgumentException("max n must be > 0");
        if (maxTokensLimit <= 0) throw new IllegalArgumentException("max tokens limit must be > 0");
        if (defaultMaxTokens <= 0) throw new IllegalArgumentException("default max tokens must be > 0");
        if (maxQueue < maxN) throw new IllegalArgumentException("max queue (" + maxQueue + ") must be >= max n (" + maxN + ")");
        if (apiKey != null && apiKey.isEmpty()) throw new IllegalArgumentException("the API key must not be empty");
        if (shutdownGrace == null) shutdownGrace = Duration.ofSeconds(10);
        if (http == null) http = HttpLimits.defaults();
        if (log == null) log = line -> {};
    }

    /** Loopback, a free port, no key, n ≤ 16, max_tokens ≤ 4096 (default 256), 256 completions admitted, {@link HttpLimits#defaults()}. */
    public static ServerOptions defaults(String modelName) {
        return new ServerOptions("127.0.0.1", 0, modelName, null, 16, 4096, 256, 256, Duration.ofSeconds(10), HttpLimits.defaults(), null);
    }

    public long maxBodyBytes() { return http.maxBodyBytes(); }

    public ServerOptions withApiKey(String key) {
        return new ServerOptions(host, port, modelName, key, maxN, maxTokensLimit, defaultMaxTokens, maxQueue, shutdownGrace, http, log);
    }

    public ServerOptions withLimits(long bodyBytes, int n, int tokensLimit) {
        HttpLimits h = new HttpLimits(http.maxConnections(), http.maxHeaderBytes(), http.maxHeaderCount(), bodyBytes,
                http.headerTimeout(), http.bodyTimeout(), http.idleTimeout(), http.writeTimeout());
        return new ServerOptions(host, port, modelName, apiKey, n, tokensLimit, Math.min(defaultMaxTokens, tokensLimit),
                Math.max(maxQueue, n), shutdownGrace, h, log);
    }

    public ServerOptions withShutdownGrace(Duration grace) {
        return new ServerOptions(host, port, modelName, apiKey, maxN, maxTokensLimit, defaultMaxTokens, maxQueue, grace, http, log);
    }

    public ServerOptions withQueue(int queue) {
        return new ServerOptions(host, port, modelName, apiKey, maxN, maxTokensLimit, defaultMaxTokens, queue, shutdownGrace, http, log);
    }

    public ServerOptions withHttp(HttpLimits limits) {
        return new ServerOptions(host, port, modelName, apiKey, maxN, maxTokensLimit, defaultMaxTokens, maxQueue, shutdownGrace, limits, log);
    }

    public ServerOptions withLog(Consumer<String> lineLog) {
        return new ServerOptions(host, port, modelName, apiKey, maxN, maxTokensLimit, defaultMaxTokens, maxQueue, shutdownGrace, http, lineLog);
    }
}
