package dev.selftaught.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;

/**
 * Streams the elements of a top-level JSON array of objects, one at a time, with Jackson's
 * streaming parser (the array is never held in memory).
 */
final class JsonArrayReader extends LookaheadReader {
    private final JsonParser parser;

    JsonArrayReader(Path file, Reader reader, boolean allowEmpty) {
        super(file, allowEmpty);
        try {
            this.parser = Json.MAPPER.createParser(reader);
            JsonToken first = parser.nextToken();
            if (first == null) throw InputError.at(file, 0, null, "the file is empty; expected a JSON array of objects");
            if (first != JsonToken.START_ARRAY) {
                throw InputError.at(file, line(parser.currentTokenLocation()), null,
                        "expected a JSON array of objects (or JSON Lines), got " + first.asString());
            }
        } catch (JsonProcessingException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw new InputError(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    @Override
    protected String emptyProblem() { return "the file has no records (an empty JSON array)"; }

    @Override
    protected DataRecord advance() {
        try {
            JsonToken t = parser.nextToken();
            if (t == JsonToken.END_ARRAY) {
                JsonToken after = parser.nextToken();
                if (after != null) {
                    throw InputError.at(file, line(parser.currentTokenLocation()), null, "unexpected content after the top-level JSON array");
                }
                return null;
            }
            if (t == null) throw InputError.at(file, line(parser.currentLocation()), null, "malformed JSON: the array is not closed (file truncated?)");
            long lineNo = line(parser.currentTokenLocation());
            if (t != JsonToken.START_OBJECT) {
                JsonNode skipped = Json.STREAM_READER.readTree(parser);
                throw InputError.at(file, lineNo, null, "expected an object as array element " + (recordsRead() + 1) + ", got " + DataRecord.describe(skipped));
            }
            ObjectNode obj = (ObjectNode) Json.STREAM_READER.readTree(parser);
            return new DataRecord(file, lineNo, obj);
        } catch (JsonProcessingException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw new InputError(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private InputError malformed(JsonProcessingException e) {
        return InputError.at(file, line(e.getLocation()), null, "malformed JSON: " + Json.oneLine(e));
    }

    private static long line(JsonLocation loc) {
        return loc == null ? 0 : Math.max(0, loc.getLineNr());
    }

    @Override
    public void close() {
        try {
            parser.close();
        } catch (IOException e) {
            // closing a read-only file: nothing was lost
        }
    }
}
