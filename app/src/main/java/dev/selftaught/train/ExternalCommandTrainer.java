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
 * The command is a template run by {@code /bin/sh -c}; the placeholders {@code {data}},
 * {@code {base}}, {@code {output}}, {@code {validation}} and {@code {data_fairseq2}} are replaced by
 * shell-quoted values, and {@code {setting.NAME}} by the job setting NAME. Its stdout and stderr go
 * to a log file; a non-zero exit stops with the log's tail. The trained model's spec is
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

    /** The command line for a job, placeholders filled (values shell-quoted). */
    public String render(TrainJob job) {
        String c = command;
        for (var e : job.settings().entrySet()) {
            c = c.replace("{setting." + e.getKey() + "}", quote(String.valueOf(e.getValue())));
        }
        Path f2 = job.data().resolveSibling(job.data().getFileName().toString().replace(".jsonl", "_fairseq2.jsonl"));
        return c.replace("{data}", quote(job.data().toAbsolutePath().toString()))
                .replace("{data_fairseq2}", quote(f2.toAbsolutePath().toString()))
                .replace("{base}", quote(job.baseModel()))
                .replace("{output}", quote(job.outputDir().toAbsolutePath().toString()))
                .replace("{validation}", quote(job.validation() == null ? "" : job.validation().toAbsolutePath().toString()));
    }

    @Override
    public String train(TrainJob job) {
        String line = render(job);
        try {
            Files.createDirectories(job.outputDir());
            Files.createDirectories(log.toAbsolutePath().getParent());
            Files.writeString(log, "$ " + line + "\n", StandardCharsets.UTF_8);
            ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", line)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Map<String, String> env = pb.environment();
            env.put("SELFTAUGHT_TRAIN_DATA", job.data().toAbsolutePath().toString());
            env.put("SELFTAUGHT_TRAIN_OUTPUT", job.outputDir().toAbsolutePath().toString());
            env.put("SELFTAUGHT_TRAIN_BASE", job.baseModel());
            Process p = pb.start();
            boolean finished = timeout == null ? waitFor(p) : p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            if (!finished) {
                p.destroyForcibly();
                throw new TrainingFailed("trainer command timed out after " + timeout + "; log " + log + ":\n" + tail(log, 20));
            }
            int code = p.exitValue();
            Files.writeString(log, "[exit code " + code + "]\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
            if (code != 0) {
                throw new TrainingFailed("trainer command exited with code " + code + "; last lines of " + log + ":\n"
                        + tail(log, 20));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run trainer command: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrainingFailed("interrupted while training");
        }
        return resultSpec.replace("{output}", job.outputDir().toAbsolutePath().toString());
    }

    private static boolean waitFor(Process p) throws InterruptedException {
        p.waitFor();
        return true;
    }

    /** Single-quotes a value for /bin/sh. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", new ArrayList<>(all.subList(Math.max(0, all.size() - lines), all.size())));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }
}
