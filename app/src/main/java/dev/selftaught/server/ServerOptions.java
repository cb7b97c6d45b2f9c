package dev.selftaught.server;

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
 * @param maxBodyBytes     larger request bodies get 413
 * @param maxN             most completions per request ({@code n}); more gets 400
 * @param maxTokensLimit   most {@code max_tokens} a request may ask for; more gets 400
 * @param defaultMaxTokens {@code max_tokens} when a request gives none (capped by maxTokensLimit)
 * @param shutdownGrace    how long {@link OpenAiServer#stop()} lets in-flight requests finish
 * @param log              one line per request (method, path, status, time); never request bodies or keys
 */
public record ServerOptions(String host, int port, String modelName, String apiKey, long maxBodyBytes,
                            int maxN, int maxTokensLimit, int defaultMaxTokens, Duration shutdownGrace,
                            Consumer<String> log) {
    public ServerOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(modelName, "modelName");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        if (maxBodyBytes <= 0) throw new IllegalArgumentException("max body bytes must be > 0");
        if (maxN <= 0) throw new IllegalArgumentException("max n must be > 0");
        if (maxTokensLimit <= 0) throw new IllegalArgumentException("max tokens limit must be > 0");
        if (defaultMaxTokens <= 0) throw new IllegalArgumentException("default max tokens must be > 0");
        if (apiKey != null && apiKey.isEmpty()) throw new IllegalArgumentException("the API key must not be empty");
        if (shutdownGrace == null) shutdownGrace = Duration.ofSeconds(10);
        if (log == null) log = line -> {};
    }

    /** Loopback, a free port, no key, 4 MiB bodies, n ≤ 16, max_tokens ≤ 4096 (default 256). */
    public static ServerOptions defaults(String modelName) {
        return new ServerOptions("127.0.0.1", 0, modelName, null, 4L << 20, 16, 4096, 256, Duration.ofSeconds(10), null);
    }

    public ServerOptions withApiKey(String key) {
        return new ServerOptions(host, port, modelName, key, maxBodyBytes, maxN, maxTokensLimit, defaultMaxTokens, shutdownGrace, log);
    }

    public ServerOptions withLimits(long bodyBytes, int n, int tokensLimit) {
        return new ServerOptions(host, port, modelName, apiKey, bodyBytes, n, tokensLimit, Math.min(defaultMaxTokens, tokensLimit), shutdownGrace, log);
    }

    public ServerOptions withShutdownGrace(Duration grace) {
        return new ServerOptions(host, port, modelName, apiKey, maxBodyBytes, maxN, maxTokensLimit, defaultMaxTokens, grace, log);
    }
}
