package dev.selftaught.data;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** JSON Lines writer (gzip when the name ends in .gz); see {@link RecordWriter} for the commit rules. */
final class JsonlWriter implements RecordWriter {
    private final Path file;
    private final Path temp;
    private final FileOutputStream fileOut;
    private final OutputStream out;
    private final GZIPOutputStream gzip;
    private long count;
    private boolean committed;
    private boolean closed;

    JsonlWriter(Path file, boolean gz) {
        this.file = file;
        try {
            this.temp = AtomicFiles.tempBeside(file);
            this.fileOut = new FileOutputStream(temp.toFile());
            this.gzip = gz ? new GZIPOutputStream(fileOut, 1 << 16) : null;
            this.out = new BufferedOutputStream(gz ? gzip : fileOut, 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary file beside " + file, e);
        }
    }

    @Override
    public Path file() { return file; }

    @Override
    public void write(JsonNode record) {
        if (committed || closed) throw new IllegalStateException("writer for " + file + " is already " + (committed ? "committed" : "closed"));
        if (record == null || !record.isObject()) {
            throw new IllegalArgumentException("a dataset record must be a JSON object, got " + DataRecord.describe(record));
        }
        try {
            out.write(Json.MAPPER.writeValueAsBytes(record));
            out.write('\n');
            count++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + temp, e);
        }
    }

    @Override
    public long count() { return count; }

    /** Finishes the stream (gzip trailer), fsyncs and closes the temporary file without renaming it. */
    Path finishTemp() {
        if (closed) throw new IllegalStateException("writer for " + file + " is closed");
        try {
            out.flush();
            if (gzip != null) gzip.finish();
            fileOut.flush();
            fileOut.getChannel().force(true);
            out.close();
            closed = true;
            return temp;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + temp, e);
        }
    }

    @Override
    public void commit() {
        if (committed) return;
        finishTemp();
        try {
            AtomicFiles.commit(temp, file);
            committed = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + temp + " to " + file, e);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            try {
                out.close();
            } catch (IOException ignored) {
                // discarding anyway
            }
            closed = true;
        }
        if (!committed) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // a leftover hidden temp file is harmless and named after its target
            }
        }
    }
}
