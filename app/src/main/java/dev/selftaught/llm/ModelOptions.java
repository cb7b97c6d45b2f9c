package dev.selftaught.llm;

import java.time.Duration;

/**
 * Options that apply when opening a model from its spec string, shared by every command that
 * takes a model ({@code --model}, {@code --judge}, ...).
 *
 * @param modelName      served model name for HTTP specs without {@code #NAME} (null: ask /v1/models)
 * @param apiKeyEnv      name of the environment variable holding the API key (the key itself is never stored here)
 * @param concurrency    most requests in flight per HTTP endpoint
 * @param requestTimeout per-request timeout for HTTP backends
 * @param maxRetries     retries of a retryable failure before a call is recorded as failed
 * @param threads        compute threads for the embedded engine (0 = all cores)
 */
public record ModelOptions(String modelName, String apiKeyEnv, int concurrency, Duration requestTimeout,
                           int maxRetries, int threads) {
    public static ModelOptions defaults() {
        return new ModelOptions(null, "OPENAI_API_KEY", 16, Duration.ofSeconds(600), 8, 0);
    }

    public ModelOptions withModelName(String name) {
        return new ModelOptions(name, apiKeyEnv, concurrency, requestTimeout, maxRetries, threads);
    }

    public ModelOptions withConcurrency(int c) {
        return new ModelOptions(modelName, apiKeyEnv, c, requestTimeout, maxRetries, threads);
    }
}
