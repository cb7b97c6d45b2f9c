package dev.selftaught.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Reads Parquet and CSV files through DuckDB, one row at a time: each row is turned into a JSON
 * object by DuckDB's {@code to_json} (so nested Parquet lists and structs become JSON arrays and
 * objects) and parsed with Jackson. CSV cells are read as text (CSV has no types).
 */
final class DuckDbReader extends LookaheadReader {
    private final Connection conn;
    private final Statement stmt;
    private final ResultSet rs;
    private final Path tempCopy;
    private final boolean csv;

    /**
     * @param source the file DuckDB reads (a decompressed temporary copy for .parquet.gz)
     * @param tempCopy a temporary file to delete on close, or null
     */
    DuckDbReader(Path file, Path source, Path tempCopy, boolean csv, boolean allowEmpty) {
        super(file, allowEmpty);
        this.tempCopy = tempCopy;
        this.csv = csv;
        String from = csv
                ? "read_csv(" + DuckDb.literal(source.toString()) + ", header = true, all_varchar = true)"
                : "read_parquet(" + DuckDb.literal(source.toString()) + ")";
        Connection c = null;
        Statement s = null;
        try {
            c = DuckDb.open();
            s = c.createStatement();
            this.rs = s.executeQuery("SELECT to_json(t)::VARCHAR FROM " + from + " t");
            this.conn = c;
            this.stmt = s;
        } catch (SQLException e) {
            closeQuietly(s, c);
            deleteTemp();
            throw InputError.at(file, 0, null, "cannot read as " + (csv ? "CSV" : "Parquet") + ": " + DuckDb.message(e));
        }
    }

    @Override
    protected String emptyProblem() { return "the file has no records"; }

    @Override
    protected DataRecord advance() {
        long row = recordsRead() + 1;
        // CSV: the header is line 1; a row's line is exact unless a quoted cell spans lines.
        long lineNo = csv ? row + 1 : row;
        try {
            if (!rs.next()) return null;
            String json = rs.getString(1);
            ObjectNode obj;
            try {
                obj = (ObjectNode) Json.MAPPER.readTree(json);
            } catch (JsonProcessingException e) {
                throw InputError.at(file, lineNo, null, "row could not be converted to JSON: " + Json.oneLine(e));
            }
            return new DataRecord(file, lineNo, obj);
        } catch (SQLException e) {
            throw InputError.at(file, lineNo, null, "cannot read as " + (csv ? "CSV" : "Parquet") + ": " + DuckDb.message(e));
        }
    }

    @Override
    public void close() {
        try {
            rs.close();
        } catch (SQLException ignored) {
            // read-only: nothing to lose
        }
        closeQuietly(stmt, conn);
        deleteTemp();
    }

    private void deleteTemp() {
        if (tempCopy == null) return;
        try {
            Files.deleteIfExists(tempCopy);
        } catch (IOException ignored) {
            // a leftover file in the temp directory is harmless
        }
    }

    private static void closeQuietly(Statement s, Connection c) {
        try {
            if (s != null) s.close();
        } catch (SQLException ignored) {
            // ignore
        }
        try {
            if (c != null) c.close();
        } catch (SQLException ignored) {
            // ignore
        }
    }
}
