package dev.selftaught.llm.generate;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.selftaught.llm.Completion;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.store.CachedModel;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
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
        Path dir = output.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + output.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        long rows = 0, failed = 0, samples = 0;
        int chunkSize = Math.max(256, concurrency * 8);
        try {
            Files.createDirectories(dir);
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                 JsonGenerator gen = JSON.getFactory().createGenerator(os, JsonEncoding.UTF8)) {
                gen.setRootValueSeparator(null);
                Iterator<GenerateItem> it = input.iterator();
                List<GenerateItem> chunk = new ArrayList<>(chunkSize);
                while (it.hasNext()) {
                    chunk.clear();
                    while (it.hasNext() && chunk.size() < chunkSize) chunk.add(it.next());
                    Object[] results = runChunk(model, chunk, progress);
                    for (int i = 0; i < chunk.size(); i++) {
                        writeRow(gen, chunk.get(i), results[i]);
                        rows++;
                        if (results[i] instanceof ModelResponse r) samples += r.completions().size();
                        else failed++;
                    }
                }
                gen.flush();
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new java.io.UncheckedIOException("cannot write " + output + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(tmp);
            throw e;
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

    private static void writeRow(JsonGenerator gen, GenerateItem item, Object result) throws IOException {
        gen.writeStartObject();
        gen.writeFieldName("id");
        gen.writeTree(item.id());
        if (result instanceof ModelResponse r) {
            gen.writeArrayFieldStart("outputs");
            for (Completion c : r.completions()) gen.writeString(c.text());
            gen.writeEndArray();
            gen.writeArrayFieldStart("finish_reasons");
            for (Completion c : r.completions()) gen.writeString(c.finishReason());
            gen.writeEndArray();
            gen.writeObjectFieldStart("usage");
            gen.writeNumberField("prompt_tokens", r.usage().promptTokens());
            gen.writeNumberField("completion_tokens", r.usage().completionTokens());
            gen.writeEndObject();
        } else {
            ModelException e = (ModelException) result;
            gen.writeStringField("error", e == null ? "no answer" : e.getMessage());
        }
        gen.writeEndObject();
        gen.writeRaw('\n');
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the temp file is only litter
        }
    }
}
