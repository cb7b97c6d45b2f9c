package dev.selftaught.pipeline;

import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;

import java.util.List;

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
                               ProgressFactory progress) {
        Answer[] out = new Answer[requests.size()];
        ModelException[] fatal = new ModelException[1];
        if (requests.isEmpty()) return out;
        ProgressFactory.Tracker bar = ProgressFactory.orNone(progress).start(what, requests.size());
        try {
            model.completeAll(requests, concurrency, (index, response, error) -> {
                if (error != null && error.retryable()) {
                    synchronized (fatal) { if (fatal[0] == null) fatal[0] = error; }
                }
                out[index] = new Answer(response, error);
                bar.advance(error != null);
            });
        } finally {
            bar.close();
        }
        for (int i = 0; i < out.length; i++) {
            if (out[i] == null) throw new IllegalStateException(what + ": the model gave no answer for request " + i);
        }
        if (fatal[0] != null) {
            throw new ModelException(what + ": a model call kept failing (" + fatal[0].getMessage()
                    + "); completed calls are stored, rerun the same command to continue", true, fatal[0]);
        }
        return out;
    }
}
