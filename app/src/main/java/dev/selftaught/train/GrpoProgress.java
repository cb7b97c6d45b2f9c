package dev.selftaught.train;

import dev.selftaught.engine.train.GrpoTrainer;

import java.io.PrintStream;
import java.util.Locale;

/**
 * GRPO progress on a stream: step, mean reward, KL, validation accuracy when evaluated, sampling
 * and training tokens/s, ETA. Redrawn in place on a terminal; otherwise a line every 5 s, at
 * evaluations and at the last step.
 */
public final class GrpoProgress implements EmbeddedGrpoTrainer.Listener, AutoCloseable {
    private final PrintStream err;
    private final boolean tty;
    private final String label;
    private long lastPrint;
    private String pending;

    public GrpoProgress(PrintStream err, String label) {
        this.err = err;
        this.label = label;
        var console = System.console();
        this.tty = console != null && console.isTerminal();
    }

    @Override
    public synchronized void onStart(long resumedAt, long totalSteps) {
        if (resumedAt > 0) err.printf(Locale.ROOT, "%s: resuming after step %d of %d%n", label, resumedAt, totalSteps);
    }

    /** The progress line of one step. */
    static String line(String label, GrpoTrainer.Step s) {
        return String.format(Locale.ROOT, "%s step %d/%d %5.1f%% reward %.3f KL %.2e%s sample %.0f tok/s train %.0f tok/s ETA %s",
                label, s.step(), s.totalSteps(), 100.0 * s.step() / s.totalSteps(), s.rewardMean(), s.kl(),
                Double.isNaN(s.metric()) ? "" : String.format(Locale.ROOT, " val acc %.3f", s.metric()),
                s.sampleTokensPerSecond(), s.trainTokensPerSecond(), duration(s.etaSeconds()));
    }

    static String duration(double seconds) {
        long s = Math.round(Math.max(0, seconds));
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }

    @Override
    public synchronized void onStep(GrpoTrainer.Step s) {
        pending = line(label, s);
        long now = System.nanoTime();
        if (tty || now - lastPrint > 5_000_000_000L || s.step() == 1 || !Double.isNaN(s.metric()) || s.step() == s.totalSteps()) {
            lastPrint = now;
            err.print(tty ? "\r" + pending + "\033[K" : pending + "\n");
            err.flush();
            pending = null;
        }
    }

    @Override
    public synchronized void close() {
        if (pending != null) err.print(tty ? "\r" + pending + "\033[K" : pending + "\n");
        if (tty) err.print("\n");
        err.flush();
        pending = null;
    }
}
