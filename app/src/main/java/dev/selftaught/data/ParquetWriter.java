package dev.selftaught.data;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Parquet writer: records are staged as JSON Lines in a temporary file beside the target, then
 * on commit DuckDB converts them (column types inferred from all rows) into a second temporary
 * file, which is fsynced and renamed into place.
 */
final class ParquetWriter implements RecordWriter {
    private final Path file;
    private final JsonlWriter staging;
    private Path stagedJsonl;
    private boolean committed;

    ParquetWriter(Path file) {
        this.file = file;
        // The staging writer's own target is never written: only its temp file is used.
        this.staging = new JsonlWriter(file.resolveSibling("." + file.getFileName() + ".staging.jsonl"), false);
    }

    @Override
    public Path file() { return file; }

    @Override
    public void write(JsonNode record) {
        if (committed) throw new IllegalStateException("writer for " + file + " is already committed");
        staging.write(record);
    }

    @Override
    public long count() { return staging.count(); }

    @Override
    public void commit() {
        if (committed) return;
        if (staging.count() == 0) {
            throw new IllegalStateException("cannot write " + file + ": a Parquet file needs at least one record to infer its columns");
        }
        stagedJsonl = staging.finishTemp();
        Path temp = null;
        try {
            temp = AtomicFiles.tempBeside(file);
            Files.delete(temp); // DuckDB creates the file itself
            try (Connection c = DuckDb.open(); Statement st = c.createStatement()) {
                st.execute("COPY (SELECT * FROM read_json(" + DuckDb.literal(stagedJsonl.toString())
                        + ", format = 'newline_delimited', sample_size = -1, maximum_object_size = 268435456)) TO "
                        + DuckDb.literal(temp.toString()) + " (FORMAT parquet, COMPRESSION zstd)");
            }
            AtomicFiles.commit(temp, file);
            committed = true;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot write Parquet " + file + ": " + DuckDb.message(e), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write Parquet " + file, e);
        } finally {
            deleteQuietly(temp);
            deleteQuietly(stagedJsonl);
        }
    }

    @Override
    public void close() {
        staging.close();
        deleteQuietly(stagedJsonl);
    }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover hidden temp file is harmless
        }
    }
}
