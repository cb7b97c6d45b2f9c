package dev.selftaught.cli;

import dev.selftaught.eval.EvalOptions;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress display on stderr: "label  done/total  pct  elapsed  ETA", redrawn at most
 * a few times a second (and always at the end). Used by eval and judge.
 */
final class ProgressLine implements EvalOptions.Progress {
    private final String label;
    private final PrintWriter err;
    private final long start = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    ProgressLine(String label, PrintWriter err) {
        this.label = label;
        this.err = err;
    }

    @Override
    public synchronized void update(int done, int total) {
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 250_000_000L && drawn) return;
        lastDraw = now;
        drawn = true;
        double secs = (now - start) / 1e9;
        String eta = done == 0 ? "?" : fmt(secs / done * (total - done));
        int pct = total == 0 ? 100 : (int) (100L * done / total);
        err.printf(Locale.ROOT, "\r%s %d/%d calls %3d%%  elapsed %s  ETA %s   ", label, done, total, pct, fmt(secs), eta);
        if (done >= total) err.println();
        err.flush();
    }

    static String fmt(double secs) {
        long s = Math.round(secs);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
