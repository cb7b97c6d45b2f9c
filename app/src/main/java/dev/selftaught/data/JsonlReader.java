package dev.selftaught.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Streams a JSON Lines file: one object per line; blank lines are skipped. */
final class JsonlReader extends LookaheadReader {
    private final InputStream in;
    private final ByteLines lines;

    JsonlReader(Path file, InputStream in, boolean allowEmpty) {
        super(file, allowEmpty);
        this.in = in;
        this.lines = new ByteLines(in);
    }

    @Override
    protected String emptyProblem() { return "the file has no records (it is empty or only blank lines)"; }

    @Override
    protected DataRecord advance() {
        try {
            while (lines.next()) {
                String text;
                try {
                    text = lines.text();
                } catch (ByteLines.MalformedLine e) {
                    throw InputError.at(file, lines.number(), null,
                            "invalid UTF-8 at byte " + (e.byteOffset + 1) + " of the line; re-encode the file as UTF-8");
                }
                if (text.isBlank()) continue;
                return parse(file, lines.number(), text);
            }
            return null;
        } catch (IOException e) {
            throw new InputError(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    static DataRecord parse(Path file, long lineNo, String text) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            long col = e.getLocation() == null ? -1 : e.getLocation().getColumnNr();
            throw InputError.at(file, lineNo, null, "malformed JSON" + (col > 0 ? " at column " + col : "") + ": " + Json.oneLine(e));
        }
        if (!(node instanceof ObjectNode obj)) {
            throw InputError.at(file, lineNo, null, "expected a JSON object per line, got " + DataRecord.describe(node));
        }
        return new DataRecord(file, lineNo, obj);
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
