package dev.selftaught.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A progress line on stderr for long work: done/total, rate, ETA, tokens and errors. On a terminal
 * it redraws in place a few times a second; otherwise (a log file, CI) it prints a line every few
 * seconds. Thread-safe: workers call {@link #advance}/{@link #error} from any thread.
 *
 * <p>Items answered from a store are counted with {@link #skip}: they count as done but not in the
 * rate, so the ETA of a resumed run is not fooled by the instant part.
 */
public final class Progress implements AutoCloseable {

    private final String label;
    private final PrintStream out;
    private final boolean interactive;
    private final long intervalMillis;
    private final AtomicLong total;
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong tokens = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private final Thread ticker;
    private volatile boolean closed;
    private int lastWidth;

    public Progress(String label, long total, PrintStream out, boolean interactive, long intervalMillis) {
        this.label = label;
        this.total = new AtomicLong(total);
        this.out = out;
        this.interactive = interactive;
        this.intervalMillis = intervalMillis;
        this.ticker = Thread.ofPlatform().daemon().name("progress").start(this::tick);
    }

    /** On stderr: redraw in place five times a second on a terminal, else a line every 5 s. */
    public static Progress onStderr(String label, long total) {
        var console = System.console();
        boolean tty = console != null && console.isTerminal();
        return new Progress(label, total, System.err, tty, tty ? 200 : 5000);
    }

    public void setTotal(long t) { total.set(t); }

    /** {@code items} finished now (by real work), having used {@code tokenCount} tokens. */
    public void advance(long items, long tokenCount) {
        done.addAndGet(items);
        tokens.addAndGet(tokenCount);
    }

    /** {@code items} finished without work (served from a store). */
    public void skip(long items) {
        done.addAndGet(items);
        skipped.addAndGet(items);
    }

    public void error(long items) { errors.addAndGet(items); }

    public long done() { return done.get(); }

    public long errors() { return errors.get(); }

    public long tokens() { return tokens.get(); }

    public double elapsedSeconds() { return (System.nanoTime() - startNanos) / 1e9; }

    /** The current status line, e.g. {@code generate 120/500 24.0% 31.5/s ETA 12s tokens 48.2k errors 0}. */
    public String line() {
        long d = done.get(), t = total.get(), worked = d - skipped.get();
        double secs = Math.max(1e-9, elapsedSeconds());
        double rate = worked / secs;
        StringBuilder sb = new StringBuilder(label).append(' ').append(d).append('/').append(t);
        if (t > 0) sb.append(String.format(Locale.ROOT, " %5.1f%%", 100.0 * d / t));
        sb.append(String.format(Locale.ROOT, " %.1f/s", rate));
        if (t > d) sb.append(" ETA ").append(rate > 0 ? duration((t - d) / rate) : "?");
        sb.append(" tokens ").append(count(tokens.get())).append(" errors ").append(errors.get());
        sb.append(" elapsed ").append(duration(secs));
        return sb.toString();
    }

    private void tick() {
        while (!closed) {
            try {
                Thread.sleep(intervalMillis);
            } catch (InterruptedException e) {
                return;
            }
            if (!closed) draw(false);
        }
    }

    private synchronized void draw(boolean last) {
        String l = line();
        if (interactive) {
            int pad = Math.max(0, lastWidth - l.length());
            out.print("\r" + l + " ".repeat(pad) + (last ? "\n" : ""));
            lastWidth = l.length();
        } else {
            out.println(l);
        }
        out.flush();
    }

    /** Stops the ticker and prints the final line. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ticker.interrupt();
        try {
            ticker.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        draw(true);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + "s";
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }

    static String count(long n) {
        if (n < 10_000) return Long.toString(n);
        if (n < 10_000_000) return String.format(Locale.ROOT, "%.1fk", n / 1e3);
        return String.format(Locale.ROOT, "%.1fM", n / 1e6);
    }
}
