package dev.selftaught.generate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.Datasets;
import dev.selftaught.data.RecordWriter;
import dev.selftaught.llm.Completion;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.store.CachedModel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Batch generation: every input row is sent to the (store-backed) model, and the answers are
 * written as JSONL in input order. Rows are processed in chunks so memory does not grow with the
 * input; each chunk runs through the model's concurrent {@code completeAll}. The output is
 * written to a temporary file beside it and renamed into place at the end, so it is never seen
 * half-written. Failed rows are written with an {@code error} field instead of outputs.
 */
public final class GenerateJob {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Told about each row as it is answered (from several threads). */
    public interface Listener {
        /** A row answered entirely from the store. */
        void fromStore();

        /** A row answered with model calls (or partly so), using {@code tokens} tokens. */
        void answered(long tokens);

        /** A row that failed. */
        void failed();
    }

    /** Counts of one run. */
    public record Summary(long rows, long failedRows, long samples) {}

    private final GenerateInput input;
    private final Path output;
    private final SamplingParams params;
    private final int concurrency;

    public GenerateJob(GenerateInput input, Path output, SamplingParams params, int concurrency) {
        this.input = input;
        this.output = output;
        this.params = params;
        this.concurrency = concurrency;
    }

    public Summary run(CachedModel model, Listener progress) {
        long rows = 0, failed = 0, samples = 0;
        int chunkSize = Math.max(256, concurrency * 8);
        try (GenerateInput.Rows it = input.open(); RecordWriter out = Datasets.writer(output)) {
            List<GenerateItem> chunk = new ArrayList<>(chunkSize);
            while (it.hasNext()) {
                chunk.clear();
                while (it.hasNext() && chunk.size() < chunkSize) chunk.add(it.next());
                Object[] results = runChunk(model, chunk, progress);
                for (int i = 0; i < chunk.size(); i++) {
                    out.write(row(chunk.get(i), results[i]));
                    rows++;
                    if (results[i] instanceof ModelResponse r) samples += r.completions().size();
                    else failed++;
                }
            }
            out.commit(); // temp file beside the output, fsync, atomic rename
        }
        return new Summary(rows, failed, samples);
    }

    /** Answers of one chunk by position: a ModelResponse or a ModelException. */
    private Object[] runChunk(CachedModel model, List<GenerateItem> chunk, Listener progress) {
        List<ModelRequest> requests = new ArrayList<>(chunk.size());
        for (GenerateItem item : chunk) requests.add(item.request(params));
        boolean[] stored = new boolean[requests.size()];
        for (int i = 0; i < requests.size(); i++) stored[i] = model.isComplete(requests.get(i));
        Object[] results = new Object[requests.size()];
        model.completeAll(requests, concurrency, (i, r, e) -> {
            results[i] = r != null ? r : e;
            if (e != null) progress.failed();
            else if (stored[i]) progress.fromStore();
            else progress.answered(r.usage().totalTokens());
        });
        return results;
    }

    private static ObjectNode row(GenerateItem item, Object result) {
        ObjectNode o = JSON.createObjectNode();
        o.set("id", item.id());
        if (result instanceof ModelResponse r) {
            ArrayNode outs = o.putArray("outputs");
            ArrayNode reasons = o.putArray("finish_reasons");
            for (Completion c : r.completions()) {
                outs.add(c.text());
                reasons.add(c.finishReason());
            }
            o.putObject("usage").put("prompt_tokens", r.usage().promptTokens()).put("completion_tokens", r.usage().completionTokens());
        } else {
            ModelException e = (ModelException) result;
            o.put("error", e == null ? "no result was reported for this row (a bug: please report it)" : e.getMessage());
        }
        return o;
    }
}
