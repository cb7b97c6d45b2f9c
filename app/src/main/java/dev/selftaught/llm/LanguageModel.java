package dev.selftaught.llm;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * The one interface through which the pipeline talks to any model: an in-process engine
 * checkpoint or a fleet of OpenAI-compatible HTTP endpoints.
 */
public interface LanguageModel extends AutoCloseable {

    /**
     * A stable name for what this model is (backend + checkpoint or served model name), used in
     * call-store keys: two runs against the same model must give the same identity, and a
     * different model a different one. Never contains secrets.
     */
    String identity();

    /** Blocking call: all {@code n} completions of one request. */
    ModelResponse complete(ModelRequest request);

    /** Receives results of {@link #completeAll} as they finish, possibly from several threads at once. */
    interface ResultSink {
        /** Exactly one of response / error is non-null. */
        void accept(int index, ModelResponse response, ModelException error);
    }

    /**
     * Runs many requests concurrently and streams each result to {@code sink} as soon as it is
     * done (not in input order). Returns when every request has been answered or has failed.
     * The default runs blocking calls on virtual threads, at most {@code concurrency} at a time;
     * backends that batch (the embedded engine) override it.
     */
    default void completeAll(List<ModelRequest> requests, int concurrency, ResultSink sink) {
        Semaphore slots = new Semaphore(Math.max(1, concurrency));
        try (var exec = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < requests.size(); i++) {
                final int index = i;
                slots.acquireUninterruptibly();
                exec.submit(() -> {
                    try {
                        ModelResponse r;
                        try {
                            r = complete(requests.get(index));
                        } catch (Throwable e) { // even an Error (a hostile server's StackOverflowError): one failed request, cause kept
                            sink.accept(index, null, ModelException.of(e));
                            return;
                        }
                        sink.accept(index, r, null); // reported once: a sink's own failure is not the call's
                    } finally {
                        slots.release();
                    }
                });
            }
        }
    }

    /**
     * Receives generated text as it is produced by {@link #completeStreaming}. For one completion
     * index, calls arrive in order and their deltas concatenate to that completion's final text;
     * calls for different indices may come from different threads. A listener may throw an
     * unchecked exception to cancel the generation (e.g. the HTTP client went away).
     */
    interface StreamListener {
        void onText(int index, String delta);

        /** Text with the log-probabilities of its tokens (only when the request asked for them). */
        default void onText(int index, String delta, List<TokenLogprob> logprobs) { onText(index, delta); }
    }

    /**
     * Like {@link #complete} but also reports text incrementally to {@code listener}. The default
     * reports each whole completion once it is done; backends that generate token by token (the
     * embedded engine) override it to report as they go.
     */
    default ModelResponse completeStreaming(ModelRequest request, StreamListener listener) {
        ModelResponse response = complete(request);
        for (int i = 0; i < response.completions().size(); i++) {
            String text = response.completions().get(i).text();
            if (!text.isEmpty()) listener.onText(i, text);
        }
        return response;
    }

    /**
     * Starts a call without blocking: all {@code n} completions of one request, text reported to
     * {@code listener} as it is produced when non-null. Cancelling the returned future
     * ({@code cancel(true)}) stops the work as soon as the backend can: the embedded engine takes
     * the request's sequences out of its batch at the next token; the default runs
     * {@link #completeStreaming} on a virtual thread and interrupts it.
     */
    default java.util.concurrent.CompletableFuture<ModelResponse> submit(ModelRequest request, StreamListener listener) {
        var future = new java.util.concurrent.CompletableFuture<ModelResponse>();
        Thread worker = Thread.ofVirtual().name("model-call").unstarted(() -> {
            try {
                future.complete(listener == null ? complete(request) : completeStreaming(request, listener));
            } catch (Throwable e) {
                future.completeExceptionally(e);
            }
        });
        future.whenComplete((r, e) -> {
            if (future.isCancelled()) worker.interrupt();
        });
        worker.start();
        return future;
    }

    /**
     * False only when the model can no longer answer at all (its engine stopped); a model that
     * failed one request is still healthy. {@code serve}'s {@code /health} reports it.
     */
    default boolean healthy() { return true; }

    /** Calls, retries, failures and tokens so far (token accounting per run); NONE when not tracked. */
    default ModelStats stats() { return ModelStats.NONE; }

    @Override
    default void close() {}
}
