package dev.selftaught.fleet;

import dev.selftaught.data.InputError;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelSpec;
import dev.selftaught.llm.http.OpenAiModel;
import dev.selftaught.pipeline.PipelineIo;
import dev.selftaught.pipeline.RunLoop;
import dev.selftaught.pipeline.ServeSettings;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The servers a run drives ({@code serve:} in the run config, docs/pipeline.md "Serving"). It is the
 * run's {@link RunLoop.ModelOpener}: a spec the run opens is
 * <ul>
 *   <li>mode {@code launch}: when it names a checkpoint (not an http URL), served by {@code replicas}
 *       processes of {@code serve.command}, started now and stopped when the run closes the model
 *       (its judge's work is done);</li>
 *   <li>mode {@code lora}: the seed is the long-lived base server's model; a checkpoint with a PEFT
 *       adapter ({@code adapter_config.json} in it or in its {@code adapter/}) is loaded into that
 *       server with {@code POST /v1/load_lora_adapter} and unloaded when the run closes it;</li>
 *   <li>anything else: opened as usual.</li>
 * </ul>
 * Every launched process has a PID record under {@code RUN/serve/pids}; {@link #reapLeftovers} (called
 * by the run once it holds the run directory's lock) stops those a killed run left behind. The
 * run's own overhead (launch to ready, stop, adapter load/unload) is appended to
 * {@code RUN/serve/overhead.jsonl}.
 */
public final class ServerFleet implements RunLoop.ModelOpener, RunLoop.Serving {
    private final ServeSettings s;
    private final String seedSpec;
    private final Path serveDir;
    private final RunLoop.ModelOpener direct;
    private final ModelOptions options;
    private final PrintStream err;
    private final List<Servers> running = new ArrayList<>();
    private Servers loraBase;       // lora mode with serve.command: the base server
    private List<URI> loraEndpoints; // lora mode: where the base is served
    private String loraBaseName;
    private final Map<String, Path> loadedAdapters = new java.util.concurrent.ConcurrentHashMap<>();
    private final Thread hook = new Thread(this::close, "selftaught-serve-stop");

    public ServerFleet(ServeSettings settings, String seedSpec, Path runDir, RunLoop.ModelOpener direct, ModelOptions options,
                       PrintStream err) {
        if (settings.isStatic()) throw new IllegalArgumentException("serve.mode static needs no fleet");
        this.s = settings;
        this.seedSpec = seedSpec;
        this.serveDir = runDir.resolve("serve");
        this.direct = direct;
        this.options = options;
        this.err = err;
        Runtime.getRuntime().addShutdownHook(hook); // Ctrl-C or SIGTERM of the run stops its servers too
    }

    // ---------------------------------------------------------------- lifecycle

    /** Stops every server a killed run left (PID records whose process is still the same process). */
    @Override
    public void reapLeftovers() {
        Path pids = serveDir.resolve("pids");
        if (!Files.isDirectory(pids)) return;
        try (Stream<Path> files = Files.list(pids)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                ServerProcess.PidRecord r;
                try {
                    r = ServerProcess.PidRecord.read(f);
                } catch (IOException e) {
                    err.println("serve: ignoring unreadable PID record " + f + ": " + e.getMessage());
                    Files.deleteIfExists(f);
                    continue;
                }
                var live = r.live();
                if (live.isPresent()) {
                    err.printf("serve: stopping server '%s' replica %d (pid %d, port %d) left by an earlier run%n",
                            r.name(), r.replica(), r.pid(), r.port());
                    ServerProcess.endGroup(live.get(), Duration.ofSeconds(s.stopGraceSeconds()));
                }
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pids + ": " + e.getMessage(), e);
        }
    }

    /** Stops every server still running (the base server of lora mode included). Idempotent. */
    @Override
    public synchronized void close() {
        List<Servers> all = new ArrayList<>(running);
        running.clear();
        if (loraBase != null) all.add(loraBase);
        loraBase = null;
        loraEndpoints = null;
        for (Servers g : all) stopAndLog(g);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: this is the hook
        }
    }

    private void stopAndLog(Servers g) {
        g.stop();
        overhead(Map.of("name", g.spec.name(), "event", "stop", "replicas", g.spec.replicas(), "seconds", g.stopSeconds));
    }

    // ---------------------------------------------------------------- opening models

    @Override
    public LanguageModel open(String spec) {
        ModelSpec parsed = ModelSpec.parse(spec);
        if (!(parsed instanceof ModelSpec.Provider p)) return direct.open(spec);
        Path location = Path.of(p.location()).toAbsolutePath().normalize();
        return switch (s.mode()) {
            case "launch" -> launched(spec, location);
            case "lora" -> lora(spec, location);
            default -> direct.open(spec);
        };
    }

    private LanguageModel launched(String spec, Path location) {
        String name = servedName(location);
        err.printf("serve: starting %d server(s) for '%s' (%s)%n", s.replicas(), name, location);
        Servers g = launch(launchSpec(location, name, s.replicas()));
        synchronized (this) {
            running.add(g);
        }
        err.printf("serve: '%s' ready in %.1f s at %s (pids %s)%n", name, g.readySeconds, g.endpoints(), g.pids());
        overhead(Map.of("name", name, "event", "ready", "replicas", s.replicas(), "seconds", g.readySeconds, "pids", g.pids()));
        return new ServedModel(identity(spec, location), () -> new OpenAiModel(g.endpoints(), name, null, options), g, () -> {
            synchronized (this) {
                running.remove(g);
            }
            stopAndLog(g);
            err.printf("serve: '%s' stopped%n", name);
        });
    }

    /** Launches, and records a failed launch's processes (all stopped by then) in overhead.jsonl. */
    private Servers launch(Servers.Spec spec) {
        try {
            return Servers.launch(spec);
        } catch (Servers.LaunchFailed e) {
            overhead(Map.of("name", spec.name(), "event", "failed", "replicas", spec.replicas(), "pids", e.pids));
            throw e;
        }
    }

    private Servers.Spec launchSpec(Path model, String name, int replicas) {
        return new Servers.Spec(s.command(), s.env(), model.toString(), name, replicas, s.host(), s.firstPort(),
                Duration.ofSeconds(s.readyTimeoutSeconds()), Duration.ofSeconds(s.stopGraceSeconds()), s.restarts(), serveDir);
    }

    private LanguageModel lora(String spec, Path location) {
        boolean base = spec.strip().equals(seedSpec.strip());
        Path adapter = base ? null : adapterDir(location);
        if (!base && adapter == null) {
            if (location.startsWith(serveDir.getParent().toAbsolutePath().normalize())) {
                throw new InputError("serve.mode lora: " + location + " has no PEFT adapter (adapter_config.json in it or in its adapter/); "
                        + "train LoRA adapters (train.settings lora_rank > 0, or a trainer that saves one) or use serve.mode launch");
            }
            return direct.open(spec); // a model the run did not train (another annotator): as usual
        }
        startLoraBase();
        if (base) {
            List<URI> endpoints = loraEndpoints;
            String baseName = loraBaseName;
            return new ServedModel(identity(spec, location), () -> new OpenAiModel(endpoints, baseName, null, options),
                    loraBase == null ? Servers.none() : loraBase, () -> { });
        }
        String name = servedName(location);
        long t0 = System.nanoTime();
        for (URI e : loraEndpoints) LoraAdmin.load(e, name, adapter);
        loadedAdapters.put(name, adapter);
        double secs = (System.nanoTime() - t0) / 1e9;
        err.printf("serve: adapter '%s' loaded in %.2f s (%s)%n", name, secs, adapter);
        overhead(Map.of("name", name, "event", "load_lora_adapter", "seconds", secs));
        List<URI> endpoints = loraEndpoints;
        return new ServedModel(identity(spec, adapter), () -> new OpenAiModel(endpoints, name, null, options),
                loraBase == null ? Servers.none() : loraBase, () -> {
            long t1 = System.nanoTime();
            loadedAdapters.remove(name);
            for (URI e : endpoints) LoraAdmin.unload(e, name);
            overhead(Map.of("name", name, "event", "unload_lora_adapter", "seconds", (System.nanoTime() - t1) / 1e9));
        });
    }

    /** lora mode: the base server, launched once (serve.command) or the given endpoints. */
    private synchronized void startLoraBase() {
        if (loraEndpoints != null) return;
        if (!s.endpoints().isEmpty()) {
            ModelSpec.Http h = (ModelSpec.Http) ModelSpec.parse(String.join(",", s.endpoints()));
            loraEndpoints = h.endpoints();
            loraBaseName = h.modelName() != null ? h.modelName() : LoraAdmin.firstModel(loraEndpoints.getFirst());
            return;
        }
        ModelSpec seed = ModelSpec.parse(seedSpec);
        if (!(seed instanceof ModelSpec.Provider p)) {
            throw new InputError("serve.mode lora with serve.command: models.seed must be a checkpoint path (embedded:PATH) the command can serve, got " + seedSpec);
        }
        Path location = Path.of(p.location()).toAbsolutePath().normalize();
        String name = servedName(location);
        err.printf("serve: starting the base server '%s' (%s) for runtime LoRA%n", name, location);
        loraBase = launch(launchSpec(location, name, s.replicas()));
        overhead(Map.of("name", name, "event", "ready", "replicas", s.replicas(), "seconds", loraBase.readySeconds, "pids", loraBase.pids()));
        loraEndpoints = loraBase.endpoints();
        loraBaseName = name;
        // a base server started again has lost its adapters: load the ones in use again
        loraBase.onRestart = endpoint -> loadedAdapters.forEach((n, dir) -> LoraAdmin.load(endpoint, n, dir));
    }

    /** The PEFT adapter of a checkpoint: the directory itself or its {@code adapter/}, or null. */
    static Path adapterDir(Path location) {
        if (Files.isRegularFile(location.resolve("adapter_config.json"))) return location;
        if (Files.isRegularFile(location.resolve("adapter").resolve("adapter_config.json"))) return location.resolve("adapter");
        return null;
    }

    /**
     * The served name of a checkpoint: its directory's name and a hash of its full path (so round-1's
     * and round-2's {@code model/checkpoint-4} differ), characters vLLM and every server accept.
     */
    public static String servedName(Path location) {
        Path f = location.getFileName();
        String base = f == null ? "model" : f.toString().replaceAll("[^A-Za-z0-9._-]", "_");
        if (base.length() > 48) base = base.substring(0, 48);
        return base + "-" + PipelineIo.sha256(location.toString()).substring(0, 8);
    }

    /**
     * The identity calls are stored under: the spec and a fingerprint of the checkpoint's files
     * (names, sizes, modification times), never the port, so a resumed run on other ports finds
     * its calls, and a checkpoint written again is a new judge.
     */
    static String identity(String spec, Path location) {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.isDirectory(location) ? Files.walk(location, 2) : Stream.of(location)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                sb.append(location.relativize(f)).append('\t').append(Files.size(f)).append('\t')
                        .append(Files.getLastModifiedTime(f).toMillis()).append('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + location + ": " + e.getMessage(), e);
        }
        return "served:" + spec.strip() + "@" + PipelineIo.sha256(sb.toString()).substring(0, 16);
    }

    private synchronized void overhead(Map<String, Object> row) {
        try {
            Files.createDirectories(serveDir);
            Map<String, Object> r = new LinkedHashMap<>(row);
            r.put("at", java.time.Instant.now().toString());
            Files.writeString(serveDir.resolve("overhead.jsonl"), PipelineIo.JSON.writeValueAsString(r) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            err.println("serve: cannot append to overhead.jsonl: " + e.getMessage()); // a measurement, not a result
        }
    }
}
