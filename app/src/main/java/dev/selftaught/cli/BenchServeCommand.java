package dev.selftaught.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.InputError;
import dev.selftaught.data.Json;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.server.OpenAiServer;
import dev.selftaught.server.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code selftaught bench serve}: a load generator for an OpenAI-compatible server. N concurrent
 * clients each send streamed completions of exactly M new tokens (ignore_eos), one after another;
 * reported per setting: aggregate generated tokens/s, request latency and time to first token
 * percentiles. Several client counts are run in alternation, round after round, so that a loaded
 * machine affects each setting alike; the summary gives each setting's median over rounds.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Load-test an OpenAI-compatible server: N concurrent streaming clients, M new tokens per request;",
                "reports aggregate tok/s and latency percentiles per client count (settings alternate round by round)."})
public final class BenchServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "SPEC",
            description = "Serve this model in-process (e.g. embedded:../shared/data/llama2c_stories260K) and load it. Give this or --url.")
    String model;

    @Option(names = "--url", paramLabel = "URL", description = "Load an already running server instead, e.g. http://127.0.0.1:8000/v1.")
    String url;

    @Option(names = "--clients", paramLabel = "N[,N...]", split = ",", defaultValue = "1,16",
            description = "Concurrent clients; several values are compared side by side. Default: ${DEFAULT-VALUE}.")
    int[] clients;

    @Option(names = "--tokens", paramLabel = "M", defaultValue = "128", description = "New tokens per request (exactly: ignore_eos). Default: ${DEFAULT-VALUE}.")
    int tokens;

    @Option(names = "--requests", paramLabel = "K", defaultValue = "2", description = "Requests per client per round. Default: ${DEFAULT-VALUE}.")
    int requests;

    @Option(names = "--rounds", paramLabel = "R", defaultValue = "3", description = "Rounds over all client counts (alternating). Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "Once upon a time", description = "Prompt of every request. Default: ${DEFAULT-VALUE}.")
    String prompt;

    @Option(names = "--stream", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Stream the answers (SSE, time to first token measured); --no-stream asks for whole answers. Default: ${DEFAULT-VALUE}.")
    boolean stream;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "0", description = "Compute threads of an in-process embedded model (0 = all cores). Default: ${DEFAULT-VALUE}.")
    int threads;

    /** The in-process embedded model, when there is one (its batch statistics are reported). */
    private dev.selftaught.llm.embedded.EmbeddedModel engine;

    record Sample(double latencyMs, double firstTokenMs, int tokens) {}

    record Round(int clients, double seconds, double cpuSeconds, double meanBatch, List<Sample> samples) {
        int tokens() { return samples.stream().mapToInt(Sample::tokens).sum(); }

        double tokPerSec() { return tokens() / seconds; }

        /** Process CPU per generated token (server and clients: both run in this process when --model is given). */
        double cpuMicrosPerToken() { return cpuSeconds * 1e6 / tokens(); }
    }

    private static double processCpuSeconds() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if ((model == null) == (url == null)) throw new InputError("give exactly one of --model SPEC or --url URL");
        if (tokens < 1 || requests < 1 || rounds < 1 || Arrays.stream(clients).anyMatch(c -> c < 1)) {
            throw new InputError("--tokens, --requests, --rounds and every --clients value must be >= 1");
        }
        LanguageModel lm = null;
        OpenAiServer server = null;
        try {
            String base = url;
            if (model != null) {
                ModelOptions d = ModelOptions.defaults();
                lm = ModelFactory.open(model, new ModelOptions(d.modelName(), d.apiKeyEnv(), d.concurrency(), d.requestTimeout(), d.maxRetries(), threads));
                int most = Arrays.stream(clients).max().orElse(1);
                if (lm instanceof dev.selftaught.llm.embedded.EmbeddedModel em) engine = em;
                server = OpenAiServer.start(lm, ServerOptions.defaults("bench").withQueue(Math.max(256, most)));
                base = server.baseUrl();
            }
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(Executors.newVirtualThreadPerTaskExecutor()).build();
            out.printf(Locale.ROOT, "bench serve: %s, %d new tokens per request, %d requests per client, %d rounds, clients %s%n",
                    model != null ? model : url, tokens, requests, rounds, Arrays.toString(clients));
            runRound(http, base, 2, 1); // warm-up (JIT, caches), not reported
            List<List<Round>> byClients = new ArrayList<>();
            for (int c : clients) byClients.add(new ArrayList<>());
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < clients.length; i++) {
                    int k = (r % 2 == 0) ? i : clients.length - 1 - i; // alternate the order round by round
                    Round round = runRound(http, base, clients[k], requests);
                    byClients.get(k).add(round);
                    out.printf(Locale.ROOT, "round %d, %3d clients: %8.1f tok/s  %6.0f CPU µs/token  %5.1f sequences/pass  %s%n", r + 1, clients[k],
                            round.tokPerSec(), round.cpuMicrosPerToken(), round.meanBatch(), percentiles(round.samples()));
                    out.flush();
                }
            }
            out.println();
            out.println("| clients | aggregate tok/s (median of rounds, min–max) | process CPU µs per token (median) | sequences per forward pass (mean) | latency p50 / p95 / p99 ms | first token p50 / p95 ms |");
            out.println("|---:|---:|---:|---:|---:|---:|");
            double base1 = Double.NaN;
            for (int i = 0; i < clients.length; i++) {
                List<Round> rs = byClients.get(i);
                double[] tps = rs.stream().mapToDouble(Round::tokPerSec).sorted().toArray();
                List<Sample> all = rs.stream().flatMap(x -> x.samples().stream()).toList();
                double med = tps[tps.length / 2];
                if (i == 0) base1 = med;
                double[] lat = all.stream().mapToDouble(Sample::latencyMs).sorted().toArray();
                double[] ft = all.stream().mapToDouble(Sample::firstTokenMs).sorted().toArray();
                double[] cpu = rs.stream().mapToDouble(Round::cpuMicrosPerToken).sorted().toArray();
                double batch = rs.stream().mapToDouble(Round::meanBatch).average().orElse(Double.NaN);
                out.printf(Locale.ROOT, "| %d | %.1f (%.1f–%.1f)%s | %.0f | %.1f | %.0f / %.0f / %.0f | %.0f / %.0f |%n", clients[i], med, tps[0], tps[tps.length - 1],
                        i == 0 ? "" : String.format(Locale.ROOT, ", %.2f× %d client%s", med / base1, clients[0], clients[0] == 1 ? "" : "s"),
                        cpu[cpu.length / 2], batch,
                        pct(lat, 50), pct(lat, 95), pct(lat, 99), pct(ft, 50), pct(ft, 95));
            }
            out.flush();
            return 0;
        } finally {
            if (server != null) server.stop();
            if (lm != null) lm.close();
        }
    }

    private Round runRound(HttpClient http, String base, int nClients, int perClient) throws Exception {
        List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        double cpu0 = processCpuSeconds();
        long tok0 = engine == null ? 0 : engine.tokensSampled(), pass0 = engine == null ? 0 : engine.forwardPasses();
        long t0 = System.nanoTime();
        try (var exec = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < nClients; c++) {
                final int client = c;
                fs.add(exec.submit(() -> {
                    for (int i = 0; i < perClient; i++) samples.add(one(http, base, client * 1000 + i));
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        }
        double cpu = processCpuSeconds() - cpu0;
        double batch = engine == null ? Double.NaN
                : (engine.tokensSampled() - tok0) / (double) Math.max(1, engine.forwardPasses() - pass0);
        return new Round(nClients, (System.nanoTime() - t0) / 1e9, cpu, batch, List.copyOf(samples));
    }

    private Sample one(HttpClient http, String base, int seed) throws Exception {
        String body = Json.MAPPER.createObjectNode().put("prompt", prompt).put("max_tokens", tokens).put("temperature", 0.8)
                .put("seed", seed).put("ignore_eos", true).put("stream", stream)
                .set("stream_options", stream ? Json.MAPPER.createObjectNode().put("include_usage", true) : null).toString();
        long t0 = System.nanoTime();
        HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/completions"))
                .header("Content-Type", "application/json").timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("the server answered " + r.statusCode() + ": " + new String(r.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        double first = Double.NaN;
        int generated = 0;
        if (!stream) {
            JsonNode whole = Json.MAPPER.readTree(r.body());
            return new Sample((System.nanoTime() - t0) / 1e6, first, whole.get("usage").get("completion_tokens").asInt());
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
                JsonNode ev = Json.MAPPER.readTree(line.substring(6));
                if (ev.has("error")) throw new IllegalStateException("in-stream error: " + ev.get("error"));
                if (Double.isNaN(first) && ev.path("choices").path(0).path("text").asText("").length() > 0) first = (System.nanoTime() - t0) / 1e6;
                if (ev.hasNonNull("usage")) generated = ev.get("usage").get("completion_tokens").asInt();
            }
        }
        return new Sample((System.nanoTime() - t0) / 1e6, first, generated);
    }

    private static String percentiles(List<Sample> s) {
        double[] lat = s.stream().mapToDouble(Sample::latencyMs).sorted().toArray();
        return String.format(Locale.ROOT, "latency p50 %.0f ms, p95 %.0f ms", pct(lat, 50), pct(lat, 95));
    }

    /** Nearest-rank percentile of sorted values. */
    static double pct(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
