package dev.selftaught.cli;

import dev.selftaught.data.InputError;
import dev.selftaught.llm.ModelOptions;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * The options every command that takes a model shares ({@code @Mixin ModelOptionsMixin model;}).
 * They apply to every model the command opens ({@code --model}, {@code --judge}, ...).
 */
public final class ModelOptionsMixin {

    @Option(names = "--model-name", paramLabel = "NAME",
            description = "Served model name for HTTP model specs that do not end in #NAME. Default: the first model the server's /v1/models lists.")
    String modelName;

    @Option(names = "--api-key-env", paramLabel = "VAR",
            description = "Environment variable holding the API key sent as a Bearer token to the HTTP endpoints of this command's models "
                    + "(an endpoint URL ending in ?key_env=VAR uses its own). The key itself is never printed or stored. Default: no key is sent.")
    String apiKeyEnv;

    @Option(names = "--allow-insecure-key",
            description = "Allow sending an API key (or URL user:password) over plain http to a host that is not loopback. Default: refused.")
    boolean allowInsecureKey;

    @Option(names = "--max-response-bytes", paramLabel = "BYTES", defaultValue = "33554432",
            description = "Largest HTTP response body accepted from a model server, before and after gzip decoding; larger is a failed call. Default: ${DEFAULT-VALUE} (32 MiB).")
    long maxResponseBytes;

    @Option(names = "--concurrency", paramLabel = "C", defaultValue = "16",
            description = "Most requests in flight per HTTP endpoint (with several endpoints, C each). Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--request-timeout", paramLabel = "DURATION", defaultValue = "600s", converter = DurationConverter.class,
            description = "Give up on one HTTP request after this long and retry it (e.g. 30s, 10m). Default: ${DEFAULT-VALUE}.")
    Duration requestTimeout;

    @Option(names = "--max-retries", paramLabel = "R", defaultValue = "8",
            description = "Retries of a failing call (connection error, timeout, HTTP 408/409/429/5xx, malformed answer) before it is recorded as failed. Default: ${DEFAULT-VALUE}.")
    int maxRetries;

    @Option(names = "--retry-delay", paramLabel = "DURATION", defaultValue = "500ms", converter = DurationConverter.class,
            description = "Base delay of the jittered exponential backoff between retries (doubles per retry, at most 60s; a server's Retry-After is honoured). Default: ${DEFAULT-VALUE}.")
    Duration retryDelay;

    @Option(names = "--max-rpm", paramLabel = "N", defaultValue = "0",
            description = "Most requests per minute over all endpoints (0 = no limit). Default: ${DEFAULT-VALUE}.")
    double requestsPerMinute;

    @Option(names = "--max-tpm", paramLabel = "N", defaultValue = "0",
            description = "Most tokens (prompt + completion) per minute over all endpoints, estimated before each call and corrected after (0 = no limit). Default: ${DEFAULT-VALUE}.")
    double tokensPerMinute;

    @Option(names = "--price-prompt", paramLabel = "USD",
            description = "Price per million prompt tokens; with --price-completion, the summary reports the cost.")
    Double pricePrompt;

    @Option(names = "--price-completion", paramLabel = "USD",
            description = "Price per million completion tokens; with --price-prompt, the summary reports the cost.")
    Double priceCompletion;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "0",
            description = "Compute threads for embedded models (0 = all cores). Default: ${DEFAULT-VALUE}.")
    int threads;

    /** The options as a value; bad values are an {@link InputError} naming the option. */
    public ModelOptions toOptions() {
        if (concurrency <= 0) throw new InputError("--concurrency must be > 0, got " + concurrency);
        if (maxRetries < 0) throw new InputError("--max-retries must be >= 0, got " + maxRetries);
        if (requestTimeout.isZero()) throw new InputError("--request-timeout must be > 0");
        if (requestsPerMinute < 0) throw new InputError("--max-rpm must be >= 0, got " + requestsPerMinute);
        if (tokensPerMinute < 0) throw new InputError("--max-tpm must be >= 0, got " + tokensPerMinute);
        if (threads < 0) throw new InputError("--threads must be >= 0, got " + threads);
        if (maxResponseBytes <= 0) throw new InputError("--max-response-bytes must be > 0, got " + maxResponseBytes);
        ModelOptions.Price price = null;
        if (pricePrompt != null || priceCompletion != null) {
            double pp = pricePrompt == null ? 0 : pricePrompt;
            double pc = priceCompletion == null ? 0 : priceCompletion;
            if (pp < 0 || pc < 0) throw new InputError("--price-prompt and --price-completion must be >= 0");
            price = new ModelOptions.Price(pp, pc);
        }
        return new ModelOptions(modelName, apiKeyEnv, concurrency, requestTimeout, maxRetries, threads, retryDelay,
                requestsPerMinute, tokensPerMinute, price, allowInsecureKey, maxResponseBytes);
    }
}
