package dev.selftaught.cli;

import dev.selftaught.data.InputError;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.server.OpenAiServer;
import dev.selftaught.server.ServerOptions;
import dev.selftaught.server.http.HttpLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code selftaught serve}: an OpenAI-compatible HTTP server over any model spec. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {
                "Serve a model over an OpenAI-compatible HTTP API: POST /v1/chat/completions, POST /v1/completions "
                        + "(both with \"stream\": true for server-sent events), GET /v1/models, GET /health.",
                "Runs until Ctrl-C or SIGTERM, then stops accepting connections and lets requests in flight finish."})
public final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "SPEC",
            description = "The model to serve: embedded:PATH (a checkpoint for the built-in engine), "
                    + "http(s)://HOST:PORT/v1[#NAME] (relay to another OpenAI-compatible server), or any other registered SCHEME:LOCATION.")
    String model;

    @Option(names = "--served-model-name", paramLabel = "NAME",
            description = "The name /v1/models lists; requests naming another model get 404 (requests without \"model\" are accepted). "
                    + "Default: the checkpoint's directory name for embedded:PATH (never its full path), the #NAME of an http(s) spec, else the spec's scheme.")
    String servedName;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address to listen on. The default accepts connections from this machine only; 0.0.0.0 accepts them from anywhere (then set --api-key-env). Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8000",
            description = "Port to listen on (0 = any free port; the one chosen is printed). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--api-key-env", paramLabel = "VAR",
            description = "Require every /v1 request to send 'Authorization: Bearer KEY', where KEY is the value of environment variable VAR (the key itself is never printed). Default: no key required.")
    String apiKeyEnv;

    @Option(names = "--upstream-api-key-env", paramLabel = "VAR",
            description = "When --model relays to an http(s) server, send it the API key in environment variable VAR. "
                    + "Default: no key is forwarded upstream (this server's own --api-key-env key never is).")
    String upstreamApiKeyEnv;

    @Option(names = "--max-body-bytes", paramLabel = "BYTES", defaultValue = "4194304",
            description = "Largest request body accepted; larger ones get HTTP 413. Default: ${DEFAULT-VALUE} (4 MiB).")
    long maxBodyBytes;

    @Option(names = "--max-n", paramLabel = "N", defaultValue = "16",
            description = "Most completions one request may ask for (n, times the number of prompts); more gets HTTP 400. Default: ${DEFAULT-VALUE}.")
    int maxN;

    @Option(names = "--max-tokens-limit", paramLabel = "T", defaultValue = "4096",
            description = "Largest max_tokens a request may ask for; more gets HTTP 400. Default: ${DEFAULT-VALUE}.")
    int maxTokensLimit;

    @Option(names = "--default-max-tokens", paramLabel = "T", defaultValue = "256",
            description = "max_tokens for requests that give none (capped by --max-tokens-limit). Default: ${DEFAULT-VALUE}.")
    int defaultMaxTokens;

    @Option(names = "--max-queue", paramLabel = "N", defaultValue = "256",
            description = "Most completions (n × prompts of every request) in the model at once, being generated or waiting for a place in the batch; "
                    + "a request that would pass it gets HTTP 429 with Retry-After. Default: ${DEFAULT-VALUE}.")
    int maxQueue;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "512",
            description = "Most client connections open at once; one more is answered 503 and closed. Default: ${DEFAULT-VALUE}.")
    int maxConnections;

    @Option(names = "--header-timeout", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "A request's line and headers must arrive within this time (slow senders get 408 and are closed). Default: ${DEFAULT-VALUE}.")
    Duration headerTimeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "A kept-alive connection with no request for this long is closed. Default: ${DEFAULT-VALUE}.")
    Duration idleTimeout;

    @picocli.CommandLine.Mixin ThreadsOption threads = new ThreadsOption(0);

    @Option(names = "--shutdown-grace", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "On SIGTERM or Ctrl-C, how long requests in flight may take to finish before the server closes (e.g. 5s, 1m). Default: ${DEFAULT-VALUE}.")
    Duration shutdownGrace;

    @Option(names = "--lora-root", paramLabel = "DIR",
            description = "Enable runtime LoRA (vLLM's API): POST /v1/load_lora_adapter {\"lora_name\", \"lora_path\"} loads a PEFT adapter directory "
                    + "under DIR onto the served embedded model and serves it as lora_name beside it; POST /v1/unload_lora_adapter {\"lora_name\"} removes it. "
                    + "Paths outside DIR are refused. Default: the routes are off.")
    java.nio.file.Path loraRoot;

    @Option(names = "--max-loras", paramLabel = "N", defaultValue = "4",
            description = "With --lora-root: most adapters loaded at once (each holds a float copy of the weights). Default: ${DEFAULT-VALUE}.")
    int maxLoras;

    @Option(names = "--max-lora-bytes", paramLabel = "BYTES", defaultValue = "1073741824",
            description = "With --lora-root: largest adapter_model.safetensors accepted. Default: ${DEFAULT-VALUE} (1 GiB).")
    long maxLoraBytes;

    @Option(names = "--quiet",
            description = "Do not log one line per request on stderr.")
    boolean quiet;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        String key = null;
        if (apiKeyEnv != null) {
            key = System.getenv(apiKeyEnv);
            if (key == null || key.isEmpty()) {
                throw new InputError("--api-key-env " + apiKeyEnv + ": the environment variable is not set (or empty); export it with the key clients must send");
            }
        }
        if (port < 0 || port > 65535) throw new InputError("--port must be in 0..65535, got " + port);
        if (maxBodyBytes <= 0) throw new InputError("--max-body-bytes must be > 0, got " + maxBodyBytes);
        if (maxN <= 0) throw new InputError("--max-n must be > 0, got " + maxN);
        if (maxTokensLimit <= 0) throw new InputError("--max-tokens-limit must be > 0, got " + maxTokensLimit);
        if (defaultMaxTokens <= 0) throw new InputError("--default-max-tokens must be > 0, got " + defaultMaxTokens);
        if (maxQueue < maxN) throw new InputError("--max-queue must be >= --max-n (" + maxN + "), got " + maxQueue);
        if (maxConnections < 1) throw new InputError("--max-connections must be >= 1, got " + maxConnections);
        if (headerTimeout.isZero() || headerTimeout.isNegative()) throw new InputError("--header-timeout must be positive");
        if (idleTimeout.isZero() || idleTimeout.isNegative()) throw new InputError("--idle-timeout must be positive");
        String name = servedName != null ? servedName : defaultServedName(model);
        HttpLimits d0 = HttpLimits.defaults();
        HttpLimits limits = new HttpLimits(maxConnections, d0.maxHeaderBytes(), d0.maxHeaderCount(), maxBodyBytes,
                headerTimeout, d0.bodyTimeout(), idleTimeout, d0.writeTimeout());
        ServerOptions opts = new ServerOptions(host, port, name, key, maxN, maxTokensLimit,
                Math.min(defaultMaxTokens, maxTokensLimit), maxQueue, shutdownGrace, limits, quiet ? null : line -> {
                    synchronized (err) {
                        err.println("selftaught serve: " + line);
                        err.flush();
                    }
                });

        ModelOptions d = ModelOptions.defaults();
        // The upstream key is only ever the one named by --upstream-api-key-env (or ?key_env= in the URL).
        LanguageModel lm = ModelFactory.open(model, new ModelOptions(d.modelName(), upstreamApiKeyEnv, d.concurrency(),
                d.requestTimeout(), d.maxRetries(), threads.value()));
        if (maxLoras < 1) throw new InputError("--max-loras must be >= 1, got " + maxLoras);
        if (maxLoraBytes < 1) throw new InputError("--max-lora-bytes must be >= 1, got " + maxLoraBytes);
        OpenAiServer server;
        try {
            server = OpenAiServer.start(lm, opts);
            if (loraRoot != null) {
                try {
                    server.withLoraAdapters(loraRoot, maxLoras, maxLoraBytes, threads.value());
                } catch (RuntimeException e) {
                    server.stop();
                    throw e;
                }
            }
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
        Thread hook = new Thread(() -> {
            err.println("selftaught serve: stopping (letting requests in flight finish, at most " + shutdownGrace.toSeconds() + "s)");
            err.flush();
            server.stop();
            server.closeAdapters();
            lm.close();
            err.println("selftaught serve: stopped");
            err.flush();
        }, "selftaught-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        err.println("selftaught serve: serving " + dev.selftaught.data.UrlUserInfo.redact(model) + " as '" + name + "' on " + server.baseUrl()
                + (key != null ? " (API key required)" : "") + "; Ctrl-C or SIGTERM stops");
        err.flush();
        server.awaitStopped();
        return 0;
    }

    /**
     * The name to serve under when none is given: the checkpoint's directory name for
     * {@code embedded:PATH} (a file: its name without extension), the {@code #NAME} of an http(s)
     * spec, else the spec's scheme. Never an absolute path or a URL (which may hold credentials).
     */
    public static String defaultServedName(String spec) {
        int colon = spec.indexOf(':');
        String scheme = colon > 0 ? spec.substring(0, colon) : spec;
        if (scheme.equals("embedded")) {
            java.nio.file.Path p = java.nio.file.Path.of(spec.substring(colon + 1)).toAbsolutePath().normalize();
            java.nio.file.Path name = p.getFileName();
            if (name == null) return "model";
            String n = name.toString();
            if (!java.nio.file.Files.isDirectory(p)) {
                int dot = n.lastIndexOf('.');
                if (dot > 0) n = n.substring(0, dot);
            }
            return n.isEmpty() ? "model" : n;
        }
        int hash = spec.indexOf('#');
        if (hash >= 0 && hash < spec.length() - 1) return spec.substring(hash + 1);
        return scheme.isEmpty() ? "model" : scheme;
    }
}
