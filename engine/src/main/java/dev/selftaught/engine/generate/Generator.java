package dev.selftaught.engine.generate;

import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.tokenizer.Tokenizer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Thread-safe generation service: callers {@link #submit} sequences from any thread; one decoding
 * thread runs the {@link BatchDecoder}, so everything submitted meanwhile is decoded together
 * (continuous batching). Futures complete on virtual threads, so slow consumers never hold up
 * decoding.
 *
 * <p>One request's failure is that request's: a sequence whose sampling or forward pass fails
 * completes exceptionally and the service goes on (see {@link BatchDecoder#step}). Cancelling a
 * future ({@code future.cancel(true)}) takes its sequence out of the batch at the next step and
 * frees its KV-cache slot. The service is dead ({@link #healthy()} false) only when its decoding
 * thread has ended: after {@link #close()}, or after an {@link Error} other than running out of
 * memory.
 */
public final class Generator implements AutoCloseable {

    /**
     * @param threads      compute threads (0 = all processors)
     * @param maxSequences most sequences decoded together
     * @param maxRows      most token rows per forward pass (bounds prefill chunks and buffers)
     */
    public record Options(int threads, int maxSequences, int maxRows) {
        public Options {
            if (maxSequences < 1) throw new IllegalArgumentException("maxSequences must be >= 1");
            if (maxRows < maxSequences) throw new IllegalArgumentException("maxRows must be >= maxSequences");
        }

        public static Options defaults() { return new Options(0, 32, 128); }
    }

    private static final class Job {
        final GenerationRequest request;
        final CompletableFuture<GenerationResult> future;
        final Job leader;
        Sequence seq;

        Job(GenerationRequest request, CompletableFuture<GenerationResult> future, Job leader) {
            this.request = request;
            this.future = future;
            this.leader = leader;
        }
    }

    private final ThreadTeam team;
    private final BatchDecoder decoder;
    private final Tokenizer tokenizer;
    private final LinkedBlockingQueue<Job> inbox = new LinkedBlockingQueue<>();
    // Futures complete on virtual threads: a consumer that blocks, or even calls the generator
    // again from its callback, can neither stall decoding nor deadlock the completions.
    private final ExecutorService completions = Executors.newVirtualThreadPerTaskExecutor();
    private final Thread loop;
    private volatile boolean closed;
    private volatile Throwable fatal;

    public Generator(LlamaWeights weights, Tokenizer tokenizer, Options options) {
        this.tokenizer = tokenizer;
        this.team = new ThreadTeam(options.threads());
        this.decoder = new BatchDecoder(new Transformer(weights, options.maxRows(), options.maxSequences(), team), tokenizer, options.maxSequences());
        this.loop = new Thread(this::run, "engine-generator");
        loop.setDaemon(true);
        loop.start();
    }

    public Tokenizer tokenizer() { return tokenizer; }

    /** Queues one sequence; the future completes when it ends (or fails, e.g. prompt too long). */
    public CompletableFuture<GenerationResult> submit(GenerationRequest request) {
        if (closed || !loop.isAlive()) {
            throw new IllegalStateException(fatal != null ? "the generator stopped after an internal error: " + fatal : "generator is closed");
        }
        CompletableFuture<GenerationResult> f = new CompletableFuture<>();
        inbox.add(new Job(request, f, null));
        return f;
    }

    /**
     * Queues samples of one prompt (e.g. a request's {@code n}): the first prefills the prompt, the
     * others copy its KV cache (see {@link BatchDecoder#add(GenerationRequest, java.util.function.Consumer, Sequence)}).
     * Every request must have the same prompt.
     */
    public List<CompletableFuture<GenerationResult>> submitSamePrompt(List<GenerationRequest> requests) {
        if (closed || !loop.isAlive()) throw new IllegalStateException("generator is closed");
        for (GenerationRequest r : requests) {
            if (!java.util.Arrays.equals(r.prompt(), requests.getFirst().prompt())) throw new IllegalArgumentException("prompts differ");
        }
        List<CompletableFuture<GenerationResult>> out = new java.util.ArrayList<>();
        Job first = null;
        List<Job> jobs = new java.util.ArrayList<>();
        for (GenerationRequest r : requests) {
            Job j = new Job(r, new CompletableFuture<>(), first);
            if (first == null) first = j;
            jobs.add(j);
            out.add(j.future);
        }
        inbox.addAll(jobs); // together, in order: the leader is enqueued before its followers
        return out;
    }

    /** Prompt positions whose prefill was shared rather than computed. */
    public long positionsShared() { return decoder.positionsShared(); }

    /** Blocking convenience for one sequence. */
    public GenerationResult generate(GenerationRequest request) {
        return submit(request).join();
    }

    private void run() {
        try {
            while (!closed) {
                if (decoder.idle()) {
                    Job j = inbox.take();
                    enqueue(j);
                }
                for (Job j; (j = inbox.poll()) != null; ) enqueue(j);
                try {
                    decoder.step();
                } catch (Error e) {
                    // Not recoverable (the decoder already contains RuntimeExceptions and OOM):
                    // fail everyone rather than leave callers waiting forever.
                    fatal = e;
                    closed = true;
                    failAll(e);
                    throw e;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            failAll(new IllegalStateException("generator closed"));
        }
    }

    /** Tokens sampled so far over all sequences (cancelled ones stop adding to it). */
    public long tokensSampled() { return decoder.tokensSampled(); }

    /** Forward passes so far (tokensSampled / forwardPasses = mean sequences sampled per pass). */
    public long forwardPasses() { return decoder.forwardPasses(); }

    /** True while the decoding thread runs and accepts work. */
    public boolean healthy() { return !closed && loop.isAlive(); }

    /** Why the generator stopped, if it stopped by itself; else null. */
    public Throwable fatalError() { return fatal; }

    private final java.util.List<Job> running = new java.util.ArrayList<>();

    private void enqueue(Job j) {
        if (j.future.isCancelled()) return;
        running.add(j);
        Sequence leaderSeq = j.leader != null && j.leader.seq != null && !j.leader.seq.done() ? j.leader.seq : null;
        Sequence seq = decoder.add(j.request, s -> {
            running.remove(j);
            completions.execute(() -> {
                if (s.error() != null) j.future.completeExceptionally(s.error());
                else j.future.complete(s.result());
            });
        }, leaderSeq);
        j.seq = seq;
        // Cancelling the future (from any thread) takes the sequence out at the next step.
        j.future.whenComplete((r, e) -> {
            if (j.future.isCancelled()) seq.cancel();
        });
    }

    private void failAll(Throwable e) {
        for (Job j : running) j.future.completeExceptionally(e);
        running.clear();
        for (Job j; (j = inbox.poll()) != null; ) j.future.completeExceptionally(e);
    }

    @Override
    public void close() {
        closed = true;
        loop.interrupt();
        try {
            loop.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        team.close();
        completions.shutdown();
    }
}
