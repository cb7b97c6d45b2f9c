package dev.selftaught.data;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * A strict RFC 4180 CSV reader, streaming one record at a time: comma-separated, the first row
 * is the header, fields may be double-quoted (a quote inside one is written twice, and a quoted
 * field may span lines), lines end in LF or CRLF. Every cell is text; an empty unquoted cell is
 * null (absent), a quoted empty cell {@code ""} the empty string. Blank lines are skipped.
 * <p>Nothing is guessed: a row with more or fewer fields than the header, a quote inside an
 * unquoted field, text after a closing quote, an unterminated quote, an empty or duplicate
 * header name are each an {@link InputError} naming the file and line.
 */
final class CsvReader extends LookaheadReader {
    private final Reader in;
    private final char[] buf = new char[1 << 16];
    private int pos, lim;
    private long line = 1; // the line the reader is on
    private final List<String> header;

    /** Longest single field, so a missing closing quote cannot swallow a huge file into memory. */
    static final int MAX_FIELD_CHARS = 16 << 20;

    CsvReader(Path file, Reader in, boolean allowEmpty) {
        super(file, allowEmpty);
        this.in = in;
        try {
            if (fill() && buf[0] == '\uFEFF') pos = 1; // a UTF-8 byte-order mark
            List<String> h = readRow();
            if (h == null) {
                header = null;
                return;
            }
            HashSet<String> seen = new HashSet<>();
            for (int i = 0; i < h.size(); i++) {
                String name = h.get(i);
                if (name == null || name.isEmpty()) throw InputError.at(file, 1, null, "header column " + (i + 1) + " has no name; every column needs one");
                if (!seen.add(name)) throw InputError.at(file, 1, null, "header names column '" + name + "' twice");
            }
            header = h;
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    @Override
    protected String emptyProblem() { return header == null ? "the file is empty; expected a header row and records" : "the file has no records (only a header)"; }

    @Override
    protected DataRecord advance() {
        if (header == null) return null;
        long start = line;
        List<String> row = readRow();
        while (row != null && row.size() == 1 && row.getFirst() == null) { // a blank line
            start = line;
            row = readRow();
        }
        if (row == null) return null;
        if (row.size() != header.size()) {
            throw InputError.at(file, start, null, "row has " + row.size() + " field" + (row.size() == 1 ? "" : "s") + " but the header has "
                    + header.size() + " (a ragged row; quote fields that contain commas)");
        }
        ObjectNode obj = Json.MAPPER.createObjectNode();
        for (int i = 0; i < row.size(); i++) {
            if (row.get(i) == null) obj.putNull(header.get(i));
            else obj.put(header.get(i), row.get(i));
        }
        return new DataRecord(file, start, obj);
    }

    /** The fields of the next row (null for an empty unquoted field), or null at end of input. */
    private List<String> readRow() {
        if (pos == lim && !fill()) return null;
        List<String> fields = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        while (true) {
            // At the start of a field.
            f.setLength(0);
            boolean quoted = false;
            if (pos == lim && !fill()) {
                fields.add(null);
                return fields;
            }
            if (buf[pos] == '"') {
                quoted = true;
                long quoteLine = line;
                pos++;
                while (true) {
                    if (pos == lim && !fill()) throw InputError.at(file, quoteLine, null, "unterminated quoted field (a \" opened here is never closed)");
                    char c = buf[pos++];
                    if (c == '\n') line++;
                    if (c == '"') {
                        if (pos == lim && !fill()) break;
                        if (buf[pos] == '"') {
                            f.append('"');
                            pos++;
                            continue;
                        }
                        break;
                    }
                    f.append(c);
                    if (f.length() > MAX_FIELD_CHARS) throw InputError.at(file, quoteLine, null, "quoted field longer than " + MAX_FIELD_CHARS + " characters (an unbalanced quote?)");
                }
            } else {
                while (true) {
                    if (pos == lim && !fill()) break;
                    char c = buf[pos];
                    if (c == ',' || c == '\n' || c == '\r') break;
                    if (c == '"') throw InputError.at(file, line, null, "a \" inside an unquoted field; quote the whole field and write inner quotes twice (\"\")");
                    f.append(c);
                    pos++;
                    if (f.length() > MAX_FIELD_CHARS) throw InputError.at(file, line, null, "field longer than " + MAX_FIELD_CHARS + " characters");
                }
            }
            fields.add(!quoted && f.isEmpty() ? null : f.toString());
            // After a field: a comma, a line end, or the end of input.
            if (pos == lim && !fill()) return fields;
            char c = buf[pos++];
            if (c == ',') continue;
            if (c == '\r') {
                if (pos == lim && !fill()) return fields;
                if (buf[pos] == '\n') pos++;
                line++;
                return fields;
            }
            if (c == '\n') {
                line++;
                return fields;
            }
            throw InputError.at(file, line, null, "text after a closing quote (" + printable(c) + "); a quoted field must end at a comma or the line's end");
        }
    }

    private static String printable(char c) {
        return c < 0x20 ? String.format("\\x%02x", (int) c) : "'" + c + "'";
    }

    private boolean fill() {
        try {
            int n = in.read(buf, 0, buf.length);
            if (n <= 0) return false;
            pos = 0;
            lim = n;
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private void closeQuietly() {
        try {
            in.close();
        } catch (IOException ignored) {
            // reporting the first problem
        }
    }

    @Override
    public void close() {
        closeQuietly();
    }
}
