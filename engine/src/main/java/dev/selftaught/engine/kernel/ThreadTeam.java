package dev.selftaught.engine.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed team of compute threads that split a loop over {@code [0, n)} into chunks.
 *
 * <p>Why not an ExecutorService: a forward pass dispatches dozens of parallel loops per token and
 * each loop may take only a few microseconds, so task objects, futures and queue hand-offs would
 * dominate. Here the caller publishes one task, wakes the workers, works on chunks itself, and
 * waits for the others. Chunks are claimed from an atomic counter, so a core stolen by another
 * process only delays its own chunk. Workers spin briefly before parking, which keeps hand-off
 * latency low during generation without burning a core when idle.
 *
 * <p>Not re-entrant: one {@link #parallelFor} at a time (the generator calls it from one thread).
 */
public final class ThreadTeam implements AutoCloseable {

    /** Body of a parallel loop: process {@code [start, end)}; {@code worker} indexes per-thread scratch. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end, int worker);
    }

    private static final int SPIN_ITERATIONS = 20_000;

    private final int size;
    private final Thread[] workers;
    private volatile RangeTask task;
    private volatile int taskN;
    private volatile int chunk;
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Thread caller;
    private volatile Throwable failure;

    /** @param threads total threads including the caller; 0 or less means all available processors */
    public ThreadTeam(int threads) {
        this.size = threads <= 0 ? Runtime.getRuntime().availableProcessors() : threads;
        this.workers = new Thread[size - 1];
        for (int i = 0; i < workers.length; i++) {
            final int id = i + 1;
            Thread t = new Thread(() -> workerLoop(id), "engine-worker-" + id);
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    /** Number of threads, including the calling thread. */
    public int size() { return size; }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of about {@code n / (4 * size)} (at least
     * {@code minChunk}). Runs inline when there is only one chunk.
     */
    public void parallelFor(int n, int minChunk, RangeTask body) {
        if (n <= 0) return;
        int c = Math.max(Math.max(1, minChunk), (n + 4 * size - 1) / (4 * size));
        c = (c + 3) & ~3; // multiples of 4 keep the matmul's 4-row tiles whole
        if (size == 1 || c >= n) {
            body.run(0, n, 0);
            return;
        }
        task = body;
        taskN = n;
        chunk = c;
        nextChunk.set(0);
        failure = null;
        pending.set(workers.length);
        caller = Thread.currentThread();
        generation = generation + 1; // publishes the fields above to the workers (volatile write)
        for (Thread w : workers) LockSupport.unpark(w);
        try {
            drain(0);
        } catch (Throwable e) {
            failure = e;
            nextChunk.set(Integer.MAX_VALUE / 2);
        }
        int spins = 0; // wait for the workers even after a failure: they still use this task
        while (pending.get() > 0) {
            if (++spins < SPIN_ITERATIONS) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 50_000);
        }
        task = null;
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException(f);
        }
    }

    private void drain(int worker) {
        RangeTask t = task;
        int n = taskN, c = chunk;
        int chunks = (n + c - 1) / c;
        while (true) {
            int k = nextChunk.getAndIncrement();
            if (k >= chunks) return;
            int start = k * c;
            t.run(start, Math.min(n, start + c), worker);
        }
    }

    private void workerLoop(int id) {
        long seen = 0;
        while (!closed) {
            long g = generation;
            if (g == seen) {
                int spins = 0;
                while ((g = generation) == seen && !closed) {
                    if (++spins < SPIN_ITERATIONS) Thread.onSpinWait();
                    else LockSupport.park(this);
                }
                if (closed) return;
            }
            seen = g;
            try {
                drain(id);
            } catch (Throwable e) {
                failure = e;
                nextChunk.set(Integer.MAX_VALUE / 2); // others stop claiming chunks (k >= chunks)
            } finally {
                if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
