package dev.selftaught.eval;

import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/** Runs a batch of judge requests and returns the responses in request order, or fails as a whole. */
final class JudgeCalls {

    private JudgeCalls() {}

    static List<ModelResponse> run(LanguageModel judge, List<ModelRequest> requests, int concurrency,
                                   EvalOptions.Progress progress) {
        int total = requests.size();
        AtomicReferenceArray<ModelResponse> responses = new AtomicReferenceArray<>(total);
        AtomicReferenceArray<ModelException> errors = new AtomicReferenceArray<>(total);
        AtomicInteger done = new AtomicInteger();
        if (progress != null) progress.update(0, total);
        if (total > 0) {
            judge.completeAll(requests, concurrency, (index, response, error) -> {
                if (error != null) errors.set(index, error);
                else responses.set(index, response);
                int d = done.incrementAndGet();
                if (progress != null) progress.update(d, total);
            });
        }
        int failed = 0;
        ModelException first = null;
        for (int k = 0; k < total; k++) {
            if (errors.get(k) != null || responses.get(k) == null) {
                failed++;
                if (first == null) first = errors.get(k);
            }
        }
        if (failed > 0) {
            throw new ModelException(failed + " of " + total + " judge calls failed (first: "
                    + (first == null ? "no answer" : first.getMessage()) + "); completed calls are kept in the call store, "
                    + "so running the same command again resumes", first != null && first.retryable(), first);
        }
        List<ModelResponse> out = new ArrayList<>(total);
        for (int k = 0; k < total; k++) {
            ModelResponse r = responses.get(k);
            if (r.completions().size() != requests.get(k).params().n()) {
                throw new ModelException("judge returned " + r.completions().size() + " completions, expected "
                        + requests.get(k).params().n(), false);
            }
            out.add(r);
        }
        return out;
    }
}
