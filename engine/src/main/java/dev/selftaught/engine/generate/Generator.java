package dev.selftaught.engine.generate;

import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.model.ModelWeights;
import dev.selftaught.engine.tokenizer.Tokenizer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Thread-safe generation service: callers {@link #submit} sequences from any thread; one decoding
 * thread runs the {@link BatchDecoder}, so everything submitted meanwhile is decoded together
 * (continuous batching). Futures complete on virtual threads, so slow consumers never hold up
 * decoding.
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

    private record Job(GenerationRequest request, CompletableFuture<GenerationResult> future) {}

    private final ThreadTeam team;
    private final BatchDecoder decoder;
    private final Tokenizer tokenizer;
    private final LinkedBlockingQueue<Job> inbox = new LinkedBlockingQueue<>();
    // Futures complete on virtual threads: a consumer that blocks, or even calls the generator
    // again from its callback, can neither stall decoding nor deadlock the completions.
    private final ExecutorService completions = Executors.newVirtualThreadPerTaskExecutor();
    private final Thread loop;
    private volatile boolean closed;

    public Generator(LlamaWeights weights, Tokenizer tokenizer, Options options) {
        this(ModelWeights.of(weights), tokenizer, options);
    }

    /** Generates from weights in any storage encoding (e.g. a memory-mapped quantized GGUF). */
    public Generator(ModelWeights weights, Tokenizer tokenizer, Options options) {
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
        if (closed) throw new IllegalStateException("generator is closed");
        CompletableFuture<GenerationResult> f = new CompletableFuture<>();
        inbox.add(new Job(request, f));
        return f;
    }

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
                } catch (RuntimeException | Error e) {
                    // A bug in a step would otherwise leave callers waiting forever.
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

    private final java.util.List<Job> running = new java.util.ArrayList<>();

    private void enqueue(Job j) {
        if (j.future.isCancelled()) return;
        running.add(j);
        decoder.add(j.request, s -> {
            running.remove(j);
            completions.execute(() -> {
                if (s.error() != null) j.future.completeExceptionally(s.error());
                else j.future.complete(s.result());
            });
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
