package dev.selftaught.fleet;

import dev.selftaught.config.ShellCommand;
import dev.selftaught.data.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One server process the run started: its command runs by {@code /bin/sh -c} in a session of its own
 * (so its PID is its process group's id and {@link #stop} ends everything it started), output appended
 * to a log file, and a PID record in the run directory ({@link PidRecord}) from start to stop, so that a
 * run killed before it could stop its servers has the next run stop them.
 */
final class ServerProcess {
    final String name;
    final int replica;
    final int port;
    final Path log;
    private final Path record;
    private final Process process;

    private ServerProcess(String name, int replica, int port, Path log, Path record, Process process) {
        this.name = name;
        this.replica = replica;
        this.port = port;
        this.log = log;
        this.record = record;
        this.process = process;
    }

    /** Starts the command line; the PID record is durable before this returns. */
    static ServerProcess start(String line, Map<String, String> env, String name, int replica, int port, Path serveDir) {
        Path log = serveDir.resolve("logs").resolve(name + "-r" + replica + ".log");
        Path record = serveDir.resolve("pids").resolve(name + "-r" + replica + ".json");
        try {
            Files.createDirectories(log.getParent());
            Files.createDirectories(record.getParent());
            Files.writeString(log, "$ " + line + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder pb = new ProcessBuilder(ShellCommand.argv(line)).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(env);
            Process p = pb.start();
            ServerProcess s = new ServerProcess(name, replica, port, log, record, p);
            PidRecord.write(record, new PidRecord(p.pid(), startOf(p.toHandle()).map(Instant::toEpochMilli).orElse(null), name, replica, port, line));
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the server command for " + name + ": " + e.getMessage(), e);
        }
    }

    long pid() { return process.pid(); }

    boolean alive() { return process.isAlive(); }

    /** The exit code, or null while it runs. */
    Integer exitCode() { return process.isAlive() ? null : process.exitValue(); }

    java.util.concurrent.CompletableFuture<Process> onExit() { return process.onExit(); }

    /** The log's last lines, for an error message. */
    String logTail(int lines) { return ShellCommand.tail(log, lines); }

    /**
     * SIGTERM to the whole process group, SIGKILL to it after {@code grace}; then the PID record is
     * removed. Returns how long the process took to exit.
     */
    Duration stop(Duration grace) {
        long t0 = System.nanoTime();
        endGroup(process.toHandle(), grace);
        try {
            Files.deleteIfExists(record);
        } catch (IOException e) {
            // a leftover record names a dead PID: the next run checks the start time and skips it
        }
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Ends a process group led by {@code h}: TERM, wait up to grace, KILL (and every descendant still known). */
    static void endGroup(ProcessHandle h, Duration grace) {
        java.util.List<ProcessHandle> descendants = h.descendants().toList();
        if (h.isAlive()) {
            if (ShellCommand.SETSID == null || !ShellCommand.signalGroup(h.pid(), "TERM")) h.destroy();
            long deadline = System.nanoTime() + grace.toNanos();
            while (running(h.pid()) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        // The group may hold processes that outlived its leader (a wrapper script's children).
        if (ShellCommand.SETSID != null) ShellCommand.signalGroup(h.pid(), "KILL");
        for (ProcessHandle d : descendants) d.destroyForcibly();
        h.destroyForcibly();
        for (int i = 0; i < 500 && running(h.pid()); i++) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    static Optional<Instant> startOf(ProcessHandle h) { return h.info().startInstant(); }

    /**
     * Alive and not a zombie: an orphaned server that was killed stays a zombie until init reaps
     * it, and in some containers init never does ({@link ProcessHandle#isAlive} counts zombies).
     */
    static boolean running(long pid) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (Files.isReadable(Path.of("/proc/self/stat"))) {
            try {
                String st = Files.readString(stat);
                int close = st.lastIndexOf(')');
                return close > 0 && close + 2 < st.length() && st.charAt(close + 2) != 'Z';
            } catch (IOException e) {
                return false; // gone
            }
        }
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * {@code RUN/serve/pids/NAME-rR.json}: who a running server is. {@code startMillis} (the process's
     * start time) tells a leftover server from an unrelated process that got the same PID later.
     */
    record PidRecord(long pid, Long startMillis, String name, int replica, int port, String command) {
        static void write(Path f, PidRecord r) throws IOException {
            AtomicFiles.write(f, dev.selftaught.pipeline.PipelineIo.JSON.writeValueAsBytes(r));
        }

        static PidRecord read(Path f) throws IOException {
            return dev.selftaught.pipeline.PipelineIo.JSON.readValue(Files.readAllBytes(f), PidRecord.class);
        }

        /** The live process this record names, if it is still the same process (same PID and start time). */
        Optional<ProcessHandle> live() {
            if (startMillis == null) return Optional.empty(); // cannot tell: never kill on a PID alone
            return ProcessHandle.of(pid).filter(h -> running(h.pid()))
                    .filter(h -> startOf(h).map(s -> Math.abs(s.toEpochMilli() - startMillis) < 1000).orElse(false));
        }
    }
}
