package dev.selftaught.engine.kernel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed team of compute threads that split a loop over {@code [0, n)} into chunks.
 *
 * <p>Why not an ExecutorService: a forward pass dispatches dozens of parallel loops per token and
 * each loop may take only a few microseconds, so futures and queue hand-offs would dominate. Here
 * the caller publishes one {@link Job}, wakes the workers, and claims chunks itself like any
 * worker. It waits only for chunks that another thread has actually claimed and is running, never
 * for a worker to show up: on a machine shared with other processes a worker may not be scheduled
 * for milliseconds, and the caller then simply does all the chunks itself. A worker that wakes up
 * late finds its job exhausted (each job has its own counters) and does nothing.
 *
 * <p>Not re-entrant: one {@link #parallelFor} at a time (the generator calls it from one thread).
 */
public final class ThreadTeam implements AutoCloseable {

    /** Body of a parallel loop: process {@code [start, end)}; {@code worker} indexes per-thread scratch. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end, int worker);
    }

    /** One parallel loop: its chunks are claimed from {@code next}; {@code done} counts finished ones. */
    private static final class Job {
        final RangeTask task;
        final int n, chunk, chunks;
        final Thread caller;
        volatile int next;
        volatile int done;
        volatile Throwable failure;

        Job(RangeTask task, int n, int chunk, Thread caller) {
            this.task = task;
            this.n = n;
            this.chunk = chunk;
            this.chunks = (n + chunk - 1) / chunk;
            this.caller = caller;
        }

        private static final VarHandle NEXT, DONE;

        static {
            try {
                var l = MethodHandles.lookup();
                NEXT = l.findVarHandle(Job.class, "next", int.class);
                DONE = l.findVarHandle(Job.class, "done", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** Claims and runs chunks until none is left. */
        void work(int worker) {
            while (true) {
                int k = (int) NEXT.getAndAdd(this, 1);
                if (k >= chunks) return;
                try {
                    if (failure == null) {
                        int start = k * chunk;
                        task.run(start, Math.min(n, start + chunk), worker);
                    }
                } catch (Throwable e) {
                    failure = e;
                } finally {
                    if ((int) DONE.getAndAdd(this, 1) + 1 == chunks && Thread.currentThread() != caller) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }
    }

    private static final int SPIN_ITERATIONS = 5_000;

    private final int size;
    private final Thread[] workers;
    private volatile Job current;
    private volatile boolean closed;

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
     * Runs {@code body} over {@code [0, n)} in chunks of about {@code n / (4 * size)} rounded up to
     * a multiple of 4 (at least {@code minChunk}). Runs inline when that makes a single chunk.
     */
    public void parallelFor(int n, int minChunk, RangeTask body) {
        if (n <= 0) return;
        int c = Math.max(Math.max(1, minChunk), (n + 4 * size - 1) / (4 * size));
        c = (c + 3) & ~3; // multiples of 4 keep the matmul's 4-row tiles whole
        if (size == 1 || c >= n) {
            body.run(0, n, 0);
            return;
        }
        Job job = new Job(body, n, c, Thread.currentThread());
        current = job;
        for (Thread w : workers) LockSupport.unpark(w);
        job.work(0);
        int spins = 0;
        while (job.done < job.chunks) { // only chunks another thread is running remain
            if (++spins < SPIN_ITERATIONS) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 20_000);
        }
        Throwable f = job.failure;
        if (f != null) {
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException(f);
        }
    }

    private void workerLoop(int id) {
        Job seen = null;
        while (!closed) {
            Job j = current;
            if (j == seen) {
                int spins = 0;
                while ((j = current) == seen && !closed) {
                    if (++spins < SPIN_ITERATIONS) Thread.onSpinWait();
                    else LockSupport.park(this);
                }
                if (closed) return;
            }
            seen = j;
            j.work(id);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
