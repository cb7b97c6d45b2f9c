package dev.selftaught.engine.train;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A fixed pool of platform threads that runs index ranges in parallel.
 *
 * <p>Determinism: every kernel that uses this pool gives each output element to exactly one task
 * and sums in a fixed order inside it, so results never depend on scheduling. The split of a range
 * into tasks depends only on the range and the thread count.
 */
public final class Workers implements AutoCloseable {
    /** Work on the half-open index range [from, to). */
    @FunctionalInterface
    public interface RangeTask { void run(int from, int to); }

    private final int threads;
    private final ExecutorService pool;

    public Workers(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "selftaught-train");
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() { return threads; }

    /**
     * Runs {@code task} over [0, n) split into contiguous chunks whose sizes are multiples of
     * {@code grain} (except the last); the calling thread takes the first chunk.
     */
    public void forRange(int n, int grain, RangeTask task) {
        if (n <= 0) return;
        int units = (n + grain - 1) / grain;
        int parts = Math.min(threads, units);
        if (parts <= 1) { task.run(0, n); return; }
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        int perPart = units / parts, extra = units % parts;
        int[] bounds = new int[parts + 1];
        for (int p = 0, u = 0; p < parts; p++) {
            bounds[p] = Math.min(n, u * grain);
            u += perPart + (p < extra ? 1 : 0);
            bounds[p + 1] = Math.min(n, u * grain);
        }
        for (int p = 1; p < parts; p++) {
            int from = bounds[p], to = bounds[p + 1];
            futures.add(pool.submit(() -> task.run(from, to)));
        }
        Throwable failure = null;
        try {
            task.run(bounds[0], bounds[1]);
        } catch (Throwable t) {
            failure = t;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new IllegalStateException(failure);
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
