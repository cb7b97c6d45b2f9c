package dev.selftaught.fleet;

import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.train.LoraAdapter;
import dev.selftaught.engine.train.LoraConfig;
import dev.selftaught.engine.train.PeftAdapter;
import dev.selftaught.testing.ChildJvm;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The run's own serving overhead per round with {@code selftaught serve} on a model (docs/benchmarks.md):
 * launch mode — start R replicas of the server command until {@code /v1/models} lists the name, one
 * request, stop (SIGTERM, wait for exit); lora mode — load an adapter into a running server, one
 * request, unload. The anchor, alternated with them in the same loop: a bare JVM start of the same
 * classpath ({@code Main --version}), the floor of any launch.
 *
 * <p>Usage: {@code FleetOverheadBench MODEL_DIR [ROUNDS] [REPLICAS]}
 */
public final class FleetOverheadBench {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]).toAbsolutePath();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int replicas = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Path work = Files.createTempDirectory("fleet-bench");
        String main = ChildJvm.shellCommand("dev.selftaught.cli.Main", "256m");
        String serve = main + " serve --model embedded:{model} --port {port} --served-model-name {name} --threads 1 --quiet --lora-root "
                + ChildJvm.quote(work.toString());
        var loaded = ModelLoader.load(model);
        LoraAdapter a = new LoraAdapter(LoraConfig.of(4), loaded.config()).initRandom(1);
        Path adapter = work.resolve("adapter");
        PeftAdapter.write(adapter, a, model.toString());

        List<Double> jvm = new ArrayList<>(), ready = new ArrayList<>(), stop = new ArrayList<>(), load = new ArrayList<>(), unload = new ArrayList<>();
        Servers base = Servers.launch(spec(serve, model, "base", 1, work));
        try {
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                Process p = new ProcessBuilder("/bin/sh", "-c", main + " --version").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                p.waitFor();
                jvm.add((System.nanoTime() - t0) / 1e9);

                Servers g = Servers.launch(spec(serve, model, "judge-" + r, replicas, work));
                ready.add(g.readySeconds);
                request(g.endpoints().getFirst(), "judge-" + r);
                g.stop();
                stop.add(g.stopSeconds);

                URI b = base.endpoints().getFirst();
                t0 = System.nanoTime();
                LoraAdmin.load(b, "round-" + r, adapter);
                load.add((System.nanoTime() - t0) / 1e9);
                request(b, "round-" + r);
                t0 = System.nanoTime();
                LoraAdmin.unload(b, "round-" + r);
                unload.add((System.nanoTime() - t0) / 1e9);
                System.err.printf("round %d: jvm %.2f ready %.2f stop %.2f load %.3f unload %.3f%n", r, jvm.getLast(), ready.getLast(),
                        stop.getLast(), load.getLast(), unload.getLast());
            }
        } finally {
            base.stop();
        }
        System.out.printf("model %s, %d rounds, %d replicas%n", model.getFileName(), rounds, replicas);
        System.out.println("| step | mean s | sd s | min s | max s |");
        System.out.println("|---|---:|---:|---:|---:|");
        row("anchor: bare JVM start (Main --version)", jvm);
        row("launch: start " + replicas + " replicas → /v1/models lists the name", ready);
        row("stop: SIGTERM → all " + replicas + " exited", stop);
        row("lora: POST /v1/load_lora_adapter", load);
        row("lora: POST /v1/unload_lora_adapter", unload);
    }

    static Servers.Spec spec(String command, Path model, String name, int replicas, Path work) {
        return new Servers.Spec(command, Map.of(), model.toString(), name, replicas, "127.0.0.1", 0, Duration.ofMinutes(5),
                Duration.ofSeconds(30), 0, work.resolve("serve"));
    }

    static void request(URI base, String name) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"" + name + "\", \"prompt\": \"Once\", \"max_tokens\": 8, \"temperature\": 0}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException(r.body());
    }

    static void row(String name, List<Double> xs) {
        double mean = xs.stream().mapToDouble(d -> d).average().orElse(Double.NaN);
        double sd = Math.sqrt(xs.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum() / Math.max(1, xs.size() - 1));
        System.out.printf("| %s | %.3f | %.3f | %.3f | %.3f |%n", name, mean, sd,
                xs.stream().mapToDouble(d -> d).min().orElse(Double.NaN), xs.stream().mapToDouble(d -> d).max().orElse(Double.NaN));
    }
}
