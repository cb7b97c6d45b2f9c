package dev.selftaught.pipeline;

import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a stage's model requests through {@link LanguageModel#completeAll} and returns the answers
 * in request order. A non-retryable failure of one request (e.g. a prompt longer than the context)
 * becomes a null answer the stage counts as a drop; a retryable failure that outlived the
 * backend's retries stops the stage, so a rerun (served from the call store) can finish it.
 */
public final class ModelCalls {
    private ModelCalls() {}

    /** One answer per request: a response, or the non-retryable error that replaced it. */
    public record Answer(ModelResponse response, ModelException error) {
        public boolean ok() { return response != null; }
    }

    public static Answer[] run(String what, LanguageModel model, List<ModelRequest> requests, int concurrency,
                               PrintStream progress) {
        Answer[] out = new Answer[requests.size()];
        ModelException[] fatal = new ModelException[1];
        AtomicInteger done = new AtomicInteger();
        Progress bar = new Progress(what, requests.size(), progress);
        model.completeAll(requests, concurrency, (index, response, error) -> {
            if (error != null && error.retryable()) {
                synchronized (fatal) { if (fatal[0] == null) fatal[0] = error; }
            }
            out[index] = new Answer(response, error);
            bar.update(done.incrementAndGet());
        });
        bar.finish();
        if (fatal[0] != null) {
            throw new ModelException(what + ": a model call kept failing (" + fatal[0].getMessage()
                    + "); completed calls are stored, rerun the same command to continue", true, fatal[0]);
        }
        return out;
    }

    /** A minimal stderr progress line with rate and ETA, printed at most every two seconds. */
    static final class Progress {
        private final String what;
        private final int total;
        private final PrintStream out;
        private final long start = System.nanoTime();
        private long lastPrint;

        Progress(String what, int total, PrintStream out) {
            this.what = what;
            this.total = total;
            this.out = out;
        }

        synchronized void update(int done) {
            if (out == null) return;
            long now = System.nanoTime();
            if (now - lastPrint < 2_000_000_000L && done < total) return;
            lastPrint = now;
            double secs = (now - start) / 1e9;
            double rate = done / Math.max(secs, 1e-9);
            long eta = done == 0 ? 0 : Math.round((total - done) / Math.max(rate, 1e-9));
            out.printf("%s: %d/%d calls (%.1f/s, ETA %dm%02ds)%n", what, done, total, rate, eta / 60, eta % 60);
        }

        void finish() {
            update(total);
        }
    }
}
