package dev.selftaught.fleet;

import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.ModelStats;
import dev.selftaught.llm.http.OpenAiModel;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A judge the fleet serves: calls go over HTTP to its endpoint pool; its identity is the checkpoint's
 * (spec and file fingerprint, not the port), so a resumed run on new ports finds its stored calls.
 * A call that fails while a server of the pool died is tried again once the server is back
 * ({@link Servers#recover}); when it cannot come back, the batch stops with {@link ServingFailed}
 * instead of recording failed calls (the run stops; nothing half-written).
 */
final class ServedModel implements LanguageModel {
    private final String identity;
    private final java.util.function.Supplier<OpenAiModel> client;
    private final Servers servers;
    private final Runnable onClose;
    private OpenAiModel http;
    private long httpGeneration;

    /** {@code client} makes the HTTP model over the pool; a new one after a restart (the old one has the endpoint ejected). */
    ServedModel(String identity, java.util.function.Supplier<OpenAiModel> client, Servers servers, Runnable onClose) {
        this.identity = identity;
        this.client = client;
        this.servers = servers;
        this.onClose = onClose;
        this.http = client.get();
        this.httpGeneration = servers.generation();
    }

    /** The HTTP model for the servers' current generation (fresh after a restart, so no endpoint stays ejected). */
    private synchronized OpenAiModel http() {
        long g = servers.generation();
        if (g != httpGeneration) {
            OpenAiModel old = http;
            http = client.get();
            httpGeneration = g;
            old.close();
        }
        return http;
    }

    /** A server of the pool died and could not be started again: the run must stop. */
    static final class ServingFailed extends RuntimeException {
        ServingFailed(String message) { super(message); }
    }

    @Override
    public String identity() { return identity; }

    @Override
    public ModelResponse complete(ModelRequest request) {
        for (int attempt = 0; ; attempt++) {
            long generation = servers.generation();
            try {
                return http().complete(request);
            } catch (ModelException e) {
                // a failure with every server alive and unchanged is the model's answer; else wait for the restart
                if (attempt >= 3 || !servers.recover(generation)) throw e;
            }
        }
    }

    @Override
    public void completeAll(List<ModelRequest> requests, int concurrency, ResultSink sink) {
        Semaphore slots = new Semaphore(Math.max(1, concurrency));
        AtomicReference<ServingFailed> fatal = new AtomicReference<>();
        try (var exec = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < requests.size() && fatal.get() == null; i++) {
                final int index = i;
                slots.acquireUninterruptibly();
                exec.submit(() -> {
                    try {
                        ModelResponse r = complete(requests.get(index));
                        sink.accept(index, r, null);
                    } catch (ServingFailed e) {
                        fatal.compareAndSet(null, e);
                    } catch (Exception e) {
                        if (servers.failed() != null) fatal.compareAndSet(null, new ServingFailed(servers.failed()));
                        else sink.accept(index, null, ModelException.of(e));
                    } finally {
                        slots.release();
                    }
                });
            }
        }
        if (fatal.get() != null) throw fatal.get();
    }

    @Override
    public synchronized ModelStats stats() { return http.stats(); }

    @Override
    public void close() {
        try {
            synchronized (this) {
                http.close();
            }
        } finally {
            onClose.run();
        }
    }
}
