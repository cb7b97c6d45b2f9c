package dev.selftaught.llm;

import java.time.Duration;

/**
 * Options that apply when opening a model from its spec string, shared by every command that
 * takes a model ({@code --model}, {@code --judge}, ...).
 *
 * @param modelName         served model name for HTTP specs without {@code #NAME} (null: ask /v1/models)
 * @param apiKeyEnv         name of the environment variable holding the API key sent to every HTTP endpoint that names
 *                          no {@code key_env} of its own (null: no key; the key itself is never stored here)
 * @param concurrency       most requests in flight per HTTP endpoint
 * @param requestTimeout    per-request timeout for HTTP backends
 * @param maxRetries        retries of a retryable failure before a call is recorded as failed
 * @param threads           compute threads for the embedded engine (0 = all cores)
 * @param retryDelay        base delay of the jittered exponential backoff between retries
 * @param requestsPerMinute most requests sent per minute over all endpoints (0 = no limit)
 * @param tokensPerMinute   most tokens (prompt + completion, estimated before the call) per minute (0 = no limit)
 * @param price             token prices used for cost accounting, or null when none is configured
 * @param allowInsecureKey  send a key over plain http to a host that is not loopback (otherwise refused)
 * @param maxResponseBytes  largest HTTP response body accepted, before and after gzip decoding (0 = the default)
 */
public record ModelOptions(String modelName, String apiKeyEnv, int concurrency, Duration requestTimeout,
                           int maxRetries, int threads, Duration retryDelay, double requestsPerMinute,
                           double tokensPerMinute, Price price, boolean allowInsecureKey, long maxResponseBytes) {

    /** Default of {@link #maxResponseBytes}: far above any real completion response, far below the heap. */
    public static final long DEFAULT_MAX_RESPONSE_BYTES = 32L << 20;

    /** Price per million tokens, in whatever currency the user configured (USD in the docs). */
    public record Price(double promptPerMillion, double completionPerMillion) {
        public Price {
            if (promptPerMillion < 0 || completionPerMillion < 0) throw new IllegalArgumentException("prices must be >= 0");
        }

        public double cost(Usage u) {
            return (u.promptTokens() * promptPerMillion + u.completionTokens() * completionPerMillion) / 1e6;
        }
    }

    public ModelOptions {
        if (concurrency <= 0) throw new IllegalArgumentException("concurrency must be > 0, got " + concurrency);
        if (maxRetries < 0) throw new IllegalArgumentException("max retries must be >= 0, got " + maxRetries);
        if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be > 0, got " + requestTimeout);
        }
        if (retryDelay == null) retryDelay = Duration.ofMillis(500);
        if (retryDelay.isNegative()) throw new IllegalArgumentException("retry delay must be >= 0");
        if (requestsPerMinute < 0 || tokensPerMinute < 0) throw new IllegalArgumentException("rate limits must be >= 0");
        if (apiKeyEnv != null && apiKeyEnv.isBlank()) apiKeyEnv = null;
        if (maxResponseBytes < 0) throw new IllegalArgumentException("max response bytes must be >= 0, got " + maxResponseBytes);
        if (maxResponseBytes == 0) maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
    }

    /** The ten-field form: no insecure keys, the default response limit. */
    public ModelOptions(String modelName, String apiKeyEnv, int concurrency, Duration requestTimeout,
                        int maxRetries, int threads, Duration retryDelay, double requestsPerMinute,
                        double tokensPerMinute, Price price) {
        this(modelName, apiKeyEnv, concurrency, requestTimeout, maxRetries, threads, retryDelay, requestsPerMinute,
                tokensPerMinute, price, false, 0);
    }

    /** The original six-field form: no rate limits, no prices, 500 ms base retry delay. */
    public ModelOptions(String modelName, String apiKeyEnv, int concurrency, Duration requestTimeout,
                        int maxRetries, int threads) {
        this(modelName, apiKeyEnv, concurrency, requestTimeout, maxRetries, threads, Duration.ofMillis(500), 0, 0, null);
    }

    public static ModelOptions defaults() {
        return new ModelOptions(null, null, 16, Duration.ofSeconds(600), 8, 0);
    }

    public ModelOptions withModelName(String name) {
        return new ModelOptions(name, apiKeyEnv, concurrency, requestTimeout, maxRetries, threads, retryDelay,
                requestsPerMinute, tokensPerMinute, price, allowInsecureKey, maxResponseBytes);
    }

    public ModelOptions withConcurrency(int c) {
        return new ModelOptions(modelName, apiKeyEnv, c, requestTimeout, maxRetries, threads, retryDelay,
                requestsPerMinute, tokensPerMinute, price, allowInsecureKey, maxResponseBytes);
    }

    public ModelOptions withRequestTimeout(Duration t) {
        return new ModelOptions(modelName, apiKeyEnv, concurrency, t, maxRetries, threads, retryDelay,
                requestsPerMinute, tokensPerMinute, price, allowInsecureKey, maxResponseBytes);
    }

    public ModelOptions withRetries(int max, Duration delay) {
        return new ModelOptions(modelName, apiKeyEnv, concurrency, requestTimeout, max, threads, delay,
                requestsPerMinute, tokensPerMinute, price, allowInsecureKey, maxResponseBytes);
    }

    public ModelOptions withRateLimits(double rpm, double tpm) {
        return new ModelOptions(modelName, apiKeyEnv, concurrency, requestTimeout, maxRetries, threads, retryDelay,
                rpm, tpm, price, allowInsecureKey, maxResponseBytes);
    }

    public ModelOptions withPrice(Price p) {
        return new ModelOptions(modelName, apiKeyEnv, concurrency, requestTimeout, maxRetries, threads, retryDelay,
                requestsPerMinute, tokensPerMinute, p, allowInsecureKey, maxResponseBytes);
    }

    public ModelOptions withApiKeyEnv(String env) {
        return new ModelOptions(modelName, env, concurrency, requestTimeout, maxRetries, threads, retryDelay,
                requestsPerMinute, tokensPerMinute, price, allowInsecureKey, maxResponseBytes);
    }

    /** The same options allowing (or not) a key over plain http to a non-loopback host. */
    public ModelOptions withAllowInsecureKey(boolean allow) {
        return new ModelOptions(modelName, apiKeyEnv, concurrency, requestTimeout, maxRetries, threads, retryDelay,
                requestsPerMinute, tokensPerMinute, price, allow, maxResponseBytes);
    }

    /** The same options with another response size limit (0 = the default). */
    public ModelOptions withMaxResponseBytes(long max) {
        return new ModelOptions(modelName, apiKeyEnv, concurrency, requestTimeout, maxRetries, threads, retryDelay,
                requestsPerMinute, tokensPerMinute, price, allowInsecureKey, max);
    }
}
