package dev.selftaught.fleet;

import dev.selftaught.config.ShellCommand;
import dev.selftaught.data.InputError;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The replicas serving one model name: started from the command template, each on its own port and
 * with its own environment, ready when {@code GET /v1/models} lists the name, stopped together. A
 * replica that dies while in use is started again on its port (at most {@code restarts} times).
 */
final class Servers {
    /** What a launch needs: the template, the values of its placeholders, and the limits. */
    record Spec(String command, Map<String, String> env, String model, String name, int replicas, String host,
                int firstPort, Duration readyTimeout, Duration stopGrace, int restarts, Path serveDir) {}

    /** Thrown when the servers cannot be started: the message has the reason and the log's last lines. */
    static final class LaunchFailed extends RuntimeException {
        /** The processes that were started (and are stopped by now). */
        final List<Long> pids;

        LaunchFailed(String message) { this(message, List.of()); }

        LaunchFailed(String message, List<Long> pids) {
            super(message);
            this.pids = List.copyOf(pids);
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final Spec spec;
    private final ServerProcess[] replicas;
    private final int[] restartsLeft;
    private long generation;
    private String failed;
    private boolean stopped;
    /** Run after a replica was started again and is ready (lora mode: load the adapters again). */
    volatile java.util.function.Consumer<URI> onRestart = e -> { };
    /** Seconds from the first start to every replica ready, and for the last stop (for the overhead log). */
    double readySeconds, stopSeconds;

    private Servers(Spec spec) {
        this.spec = spec;
        this.replicas = new ServerProcess[spec.replicas()];
        this.restartsLeft = new int[spec.replicas()];
        java.util.Arrays.fill(restartsLeft, spec.restarts());
    }

    /** No process of ours (servers the user runs): nothing to restart. */
    static Servers none() {
        Servers s = new Servers(new Spec("", Map.of(), "", "", 0, "127.0.0.1", 0, Duration.ZERO, Duration.ZERO, 0, Path.of(".")));
        s.stopped = true;
        return s;
    }

    /** Starts every replica and waits until all are ready; on failure stops what it started and throws. */
    static Servers launch(Spec spec) {
        Servers s = new Servers(spec);
        long t0 = System.nanoTime();
        try {
            List<Integer> ports = new ArrayList<>();
            for (int r = 0; r < spec.replicas(); r++) {
                int port = spec.firstPort() > 0 ? spec.firstPort() + r : freePort(spec.host(), ports);
                ports.add(port);
                s.replicas[r] = s.start(r, port);
            }
            for (int r = 0; r < spec.replicas(); r++) s.awaitReady(r, true);
        } catch (RuntimeException e) {
            s.stop();
            if (e instanceof LaunchFailed) throw new LaunchFailed(e.getMessage(), s.pids());
            throw e;
        }
        s.readySeconds = (System.nanoTime() - t0) / 1e9;
        return s;
    }

    private ServerProcess start(int replica, int port) {
        Function1 values = name -> switch (name) {
            case "model" -> spec.model();
            case "port" -> Integer.toString(port);
            case "name" -> spec.name();
            case "replica" -> Integer.toString(replica);
            default -> null;
        };
        String line = ShellCommand.render(spec.command(), values::apply, true);
        Map<String, String> env = new LinkedHashMap<>();
        spec.env().forEach((k, v) -> env.put(k, ShellCommand.render(v, values::apply, false)));
        return ServerProcess.start(line, env, spec.name(), replica, port, spec.serveDir());
    }

    private interface Function1 { String apply(String name); }

    /** The base URLs of the pool, e.g. {@code http://127.0.0.1:8001/v1}. */
    List<URI> endpoints() {
        List<URI> out = new ArrayList<>();
        for (ServerProcess p : replicas) out.add(URI.create("http://" + hostForUrl(spec.host()) + ":" + p.port + "/v1"));
        return out;
    }

    synchronized long generation() { return generation; }

    /** Why serving cannot go on (a replica died with no restart left), or null. */
    synchronized String failed() { return failed; }

    /**
     * After a failed call: starts again every replica that died (on its port), waits until it is
     * ready, and says whether the call should be tried again (something was restarted since
     * {@code since}). Throws {@link ServedModel.ServingFailed} when a dead replica has no restart left.
     */
    synchronized boolean recover(long since) {
        if (failed != null) throw new ServedModel.ServingFailed(failed);
        if (stopped) return false;
        for (int r = 0; r < replicas.length; r++) {
            ServerProcess p = replicas[r];
            if (p.alive()) continue;
            String why = "the server '" + spec.name() + "' replica " + r + " (port " + p.port + ") exited with code " + p.exitCode();
            if (restartsLeft[r]-- <= 0) {
                failed = why + " and has no restart left (serve.restarts: " + spec.restarts() + "); last lines of " + p.log + ":\n" + p.logTail(20);
                throw new ServedModel.ServingFailed(failed);
            }
            System.err.println("serve: " + why + "; starting it again");
            p.stop(spec.stopGrace()); // whatever the group left behind, and the PID record
            replicas[r] = start(r, p.port);
            try {
                awaitReady(r, false);
                onRestart.accept(endpoints().get(r));
            } catch (LaunchFailed e) {
                failed = e.getMessage();
                throw new ServedModel.ServingFailed(failed);
            }
            generation++;
        }
        return generation != since;
    }

    /**
     * Polls {@code GET /v1/models} until it lists the name. The process exiting first is a failure
     * (a port another process took is named as such); so is the timeout.
     */
    private void awaitReady(int r, boolean firstStart) {
        ServerProcess p = replicas[r];
        long deadline = System.nanoTime() + spec.readyTimeout().toNanos();
        URI models = URI.create("http://" + hostForUrl(spec.host()) + ":" + p.port + "/v1/models");
        while (true) {
            if (!p.alive()) {
                String why = portTaken(spec.host(), p.port)
                        ? "port " + p.port + " is in use by another process" + (spec.firstPort() > 0
                        ? " (serve.first_port: " + spec.firstPort() + "; free the port, choose other ports, or set first_port: 0 to take free ones)" : "")
                        : "it exited with code " + p.exitCode() + " before it was ready";
                throw new LaunchFailed("serve: the server for '" + spec.name() + "' (replica " + r + ") did not start: " + why
                        + "; last lines of " + p.log + ":\n" + p.logTail(20));
            }
            if (lists(models, spec.name())) return;
            if (System.nanoTime() > deadline) {
                throw new LaunchFailed("serve: the server for '" + spec.name() + "' (replica " + r + ", port " + p.port
                        + ") was not ready after " + spec.readyTimeout().toSeconds() + " s (serve.ready_timeout_seconds): GET " + models
                        + " never listed '" + spec.name() + "'; last lines of " + p.log + ":\n" + p.logTail(20));
            }
            try {
                Thread.sleep(firstStart ? 100 : 200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LaunchFailed("interrupted while waiting for the server of '" + spec.name() + "'");
            }
        }
    }

    /** True when GET /v1/models answers 200 with {@code name} among {@code data[].id}. */
    static boolean lists(URI models, String name) {
        try {
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(models).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200 || r.body().length > (1 << 20)) return false;
            var tree = dev.selftaught.data.Json.MAPPER.readTree(r.body());
            for (var m : tree.path("data")) if (name.equals(m.path("id").asText())) return true;
            return false;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops every replica (SIGTERM, SIGKILL after the grace period, whole process groups). Idempotent. */
    synchronized void stop() {
        stopped = true;
        long t0 = System.nanoTime();
        List<Thread> ts = new ArrayList<>();
        for (ServerProcess p : replicas) if (p != null) ts.add(Thread.ofVirtual().start(() -> p.stop(spec.stopGrace())));
        for (Thread t : ts) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stopSeconds = (System.nanoTime() - t0) / 1e9;
    }

    List<Long> pids() {
        List<Long> out = new ArrayList<>();
        for (ServerProcess p : replicas) if (p != null) out.add(p.pid());
        return out;
    }

    /** A port nobody listens on now, not among {@code taken}. */
    static int freePort(String host, List<Integer> taken) {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
                if (!taken.contains(s.getLocalPort())) return s.getLocalPort();
            } catch (IOException e) {
                throw new InputError("serve.host " + host + ": cannot open a port there: " + e.getMessage());
            }
        }
        throw new IllegalStateException("no free port found on " + host);
    }

    /** True when another process listens on the port (binding it fails). */
    static boolean portTaken(String host, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(InetAddress.getByName(host), port));
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static String hostForUrl(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }
}
