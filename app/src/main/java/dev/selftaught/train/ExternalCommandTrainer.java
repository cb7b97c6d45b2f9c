package dev.selftaught.train;

import dev.selftaught.data.InputError;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Trains by running an external command (TRL, torchtune, axolotl, fairseq2, torchrun, sbatch...).
 * The command is a template run by {@code /bin/sh -c} in a process group of its own; the
 * placeholders {@code {data}}, {@code {base}}, {@code {output}}, {@code {validation}},
 * {@code {data_fairseq2}} and {@code {method}} (the job's phase: sft or dpo) are replaced by shell-quoted values, and {@code {setting.NAME}} by the
 * job setting NAME, in one pass (values are never re-scanned). Its stdout and stderr go to a log
 * file; a non-zero exit stops with the log's tail, and so does an exit 0 that left the output
 * directory empty; a timeout kills the whole process group. The trained model's spec is
 * {@code resultSpec} with {@code {output}} replaced (default {@code embedded:{output}}).
 */
public final class ExternalCommandTrainer implements TrainerBackend {
    private final String command;
    private final String resultSpec;
    private final Path log;
    private final Duration timeout;

    /** Thrown when the command fails; the message holds the exit code and the log's tail. */
    public static final class TrainingFailed extends RuntimeException {
        public TrainingFailed(String message) { super(message); }
    }

    public ExternalCommandTrainer(String command, String resultSpec, Path log, Duration timeout) {
        if (command == null || command.isBlank()) {
            throw new InputError("train.command is empty: give the command that trains, e.g. "
                    + "'python sft.py --data {data} --model {base} --out {output}'");
        }
        this.command = command;
        this.resultSpec = resultSpec == null || resultSpec.isBlank() ? "embedded:{output}" : resultSpec;
        this.log = log;
        this.timeout = timeout;
    }

    /**
     * The command line for a job, placeholders filled (values shell-quoted) in one pass over the
     * template: a substituted value is never scanned again, so a value holding "{output}" or
     * "$(...)" stays that literal text. A {@code {setting.NAME}} without such a setting is an error;
     * any other brace text (shell {@code ${VAR}}, awk programs) is left as it is.
     */
    public String render(TrainJob job) {
        Path f2 = job.data().resolveSibling(job.data().getFileName().toString().replace(".jsonl", "_fairseq2.jsonl"));
        Map<String, String> values = Map.of(
                "data", job.data().toAbsolutePath().toString(),
                "data_fairseq2", f2.toAbsolutePath().toString(),
                "base", job.baseModel(),
                "method", job.method().id(),
                "output", job.outputDir().toAbsolutePath().toString(),
                "validation", job.validation() == null ? "" : job.validation().toAbsolutePath().toString());
        return dev.selftaught.config.ShellCommand.render(command, name -> {
            String value = values.get(name);
            if (value == null && name.startsWith("setting.")) {
                String key = name.substring("setting.".length());
                if (!job.settings().containsKey(key)) {
                    throw new InputError("train.command uses {" + name + "} but train.settings has no '" + key
                            + "'; known settings: " + new java.util.TreeSet<>(job.settings().keySet()));
                }
                value = String.valueOf(job.settings().get(key));
            }
            return value;
        }, true);
    }

    @Override
    public String train(TrainJob job) {
        String line = render(job);
        try {
            Files.createDirectories(job.outputDir());
            Files.createDirectories(log.toAbsolutePath().getParent());
            Files.writeString(log, "$ " + line + "\n", StandardCharsets.UTF_8);
            // The command runs in a session (and process group) of its own, so that a timeout can
            // end it with everything it started, not just /bin/sh.
            ProcessBuilder pb = new ProcessBuilder(dev.selftaught.config.ShellCommand.argv(line))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Map<String, String> env = pb.environment();
            env.put("SELFTAUGHT_TRAIN_DATA", job.data().toAbsolutePath().toString());
            env.put("SELFTAUGHT_TRAIN_OUTPUT", job.outputDir().toAbsolutePath().toString());
            env.put("SELFTAUGHT_TRAIN_BASE", job.baseModel());
            env.put("SELFTAUGHT_TRAIN_METHOD", job.method().id());
            Process p = pb.start();
            boolean finished;
            try {
                finished = timeout == null ? waitFor(p) : p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                killTree(p);
                throw e;
            }
            if (!finished) {
                killTree(p);
                throw new TrainingFailed("trainer command timed out after " + timeout + " (it and every process it started were killed); log " + log + ":\n" + tail(log, 20));
            }
            int code = p.exitValue();
            Files.writeString(log, "[exit code " + code + "]\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
            if (code != 0) {
                throw new TrainingFailed("trainer command exited with code " + code + "; last lines of " + log + ":\n"
                        + tail(log, 20));
            }
            if (expectsFiles() && isEmptyDir(job.outputDir())) {
                throw new TrainingFailed("trainer command exited with code 0 but wrote nothing to " + job.outputDir().toAbsolutePath()
                        + " (the {output} directory); check that it saves the model there. Last lines of " + log + ":\n" + tail(log, 20));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run trainer command: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrainingFailed("interrupted while training");
        }
        return resultSpec.replace("{output}", job.outputDir().toAbsolutePath().toString());
    }

    private static final String SETSID = dev.selftaught.config.ShellCommand.SETSID;

    /**
     * Kills the command's whole process group (with setsid, its PID is the group's id) and every
     * descendant still known, so nothing it started outlives it.
     */
    static void killTree(Process p) {
        List<ProcessHandle> descendants = p.descendants().toList();
        if (SETSID != null) dev.selftaught.config.ShellCommand.signalGroup(p.pid(), "KILL"); // else: the handles below
        for (ProcessHandle h : descendants) h.destroyForcibly();
        p.destroyForcibly();
        try {
            p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True when the result spec names a path under {output} (embedded:{output}, ...), not a served model name. */
    private boolean expectsFiles() {
        String s = resultSpec.toLowerCase(java.util.Locale.ROOT);
        return s.contains("{output}") && !s.startsWith("http://") && !s.startsWith("https://");
    }

    private static boolean isEmptyDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return true;
        try (var files = Files.list(dir)) {
            return files.findAny().isEmpty();
        }
    }

    private static boolean waitFor(Process p) throws InterruptedException {
        p.waitFor();
        return true;
    }

    static String quote(String s) { return dev.selftaught.config.ShellCommand.quote(s); }

    static String tail(Path file, int lines) { return dev.selftaught.config.ShellCommand.tail(file, lines); }
}
