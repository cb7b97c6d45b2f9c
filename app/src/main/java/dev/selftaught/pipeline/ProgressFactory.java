package dev.selftaught.pipeline;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Where a stage reports progress of its model calls. The CLI supplies the shared stderr progress
 * line (rate, ETA); library callers and tests may pass {@link #NONE} or {@link #lines}.
 */
@FunctionalInterface
public interface ProgressFactory {

    /** One progress display for {@code total} calls. */
    interface Tracker {
        void advance(boolean error);

        void close();
    }

    Tracker start(String label, int total);

    ProgressFactory NONE = (label, total) -> new Tracker() {
        @Override public void advance(boolean error) { }
        @Override public void close() { }
    };

    /** A plain line every two seconds with rate and ETA (when no terminal progress bar is wanted). */
    static ProgressFactory lines(PrintStream out) {
        if (out == null) return NONE;
        return (label, total) -> new Tracker() {
            final long start = System.nanoTime();
            long last;
            int done;

            @Override
            public synchronized void advance(boolean error) {
                done++;
                long now = System.nanoTime();
                if (now - last < 2_000_000_000L && done < total) return;
                last = now;
                double secs = (now - start) / 1e9, rate = done / Math.max(secs, 1e-9);
                long eta = Math.round((total - done) / Math.max(rate, 1e-9));
                out.printf(Locale.ROOT, "%s: %d/%d calls (%.1f/s, ETA %dm%02ds)%n", label, done, total, rate, eta / 60, eta % 60);
            }

            @Override public void close() { }
        };
    }

    static ProgressFactory orNone(ProgressFactory f) { return f == null ? NONE : f; }
}
