package dev.selftaught.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import dev.selftaught.data.DataRecord;
import dev.selftaught.data.Datasets;
import dev.selftaught.data.RecordReader;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The rows of a {@code generate} input file (any format {@link Datasets} reads: JSONL, JSON,
 * CSV, Parquet, gzipped or not): each row has {@code prompt} (a string) or {@code messages} (a list
 * of {@code {role, content}}), and optionally {@code id} (string or integer; default: the 0-based
 * row number). Every problem is an {@code InputError} naming file, line and field.
 */
public final class GenerateInput {

    private final Path file;

    public GenerateInput(Path file) { this.file = file; }

    public Path file() { return file; }

    /** Reads the whole file once, checking every row; returns the number of rows. */
    public long validate() {
        long n = 0;
        try (Rows rows = open()) {
            while (rows.hasNext()) {
                rows.next();
                n++;
            }
        }
        return n;
    }

    /** A streaming pass over the rows; close it. */
    public Rows open() { return new Rows(Datasets.read(file)); }

    /** Streams parsed rows. */
    public static final class Rows implements Iterator<GenerateItem>, AutoCloseable {
        private final RecordReader reader;
        private long row;

        Rows(RecordReader reader) { this.reader = reader; }

        @Override
        public boolean hasNext() { return reader.hasNext(); }

        @Override
        public GenerateItem next() {
            if (!hasNext()) throw new NoSuchElementException();
            return parse(reader.next(), row++);
        }

        @Override
        public void close() { reader.close(); }
    }

    static GenerateItem parse(DataRecord r, long row) {
        JsonNode id = LongNode.valueOf(row);
        if (r.has("id")) {
            id = r.node("id");
            if (!id.isTextual() && !id.isIntegralNumber()) throw r.error("id", "expected a string or an integer");
        }
        boolean prompt = r.has("prompt"), messages = r.has("messages");
        if (prompt && messages) throw r.error("prompt", "a row has either 'prompt' or 'messages', not both");
        if (!prompt && !messages) {
            throw r.error("prompt", "missing; give 'prompt' (a string) or 'messages' (a list of {role, content})");
        }
        return prompt ? new GenerateItem(id, null, r.string("prompt")) : new GenerateItem(id, r.messages("messages"), null);
    }
}
