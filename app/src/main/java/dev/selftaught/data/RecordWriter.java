package dev.selftaught.data;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;

/**
 * Writes a dataset all-or-nothing: records go to a temporary file beside the target; only
 * {@link #commit()} makes them durable and renames the file into place. {@link #close()} without a
 * commit deletes the temporary file, so a failed run leaves any existing target untouched.
 * Not thread-safe: write from one thread (or use {@link JsonlJournal}).
 */
public interface RecordWriter extends AutoCloseable {

    /** The target file. */
    Path file();

    /** Appends one record; it must be a JSON object. */
    void write(JsonNode record);

    /** Appends a Java value (a record class, a Map, ...) converted to a JSON object by Jackson. */
    default void writeValue(Object value) {
        write(Json.MAPPER.valueToTree(value));
    }

    /** Records written so far. */
    long count();

    /** Flushes, fsyncs and atomically renames the temporary file to {@link #file()}. */
    void commit();

    /** Releases the file; without a prior commit, discards everything written. */
    @Override
    void close();
}
