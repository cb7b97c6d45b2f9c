package dev.selftaught.eval.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.selftaught.data.InputError;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Small JSON/JSONL reading helpers for the loaders, with errors that name file and line. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    /** A record and where it came from (line number for JSONL, 1-based index for a JSON array). */
    record Located(JsonNode node, long line) {}

    static InputStream open(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        return file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(in) : in;
    }

    /** Reads JSONL (one object per line, blank lines ignored), optionally gzip-compressed. */
    static List<Located> readJsonl(Path file) {
        List<Located> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(open(file), StandardCharsets.UTF_8))) {
            String line;
            long n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                JsonNode node;
                try {
                    node = MAPPER.readTree(line);
                } catch (IOException e) {
                    throw InputError.at(file, n, null, "not valid JSON (" + firstLine(e) + ")");
                }
                if (!node.isObject()) throw InputError.at(file, n, null, "expected a JSON object per line");
                out.add(new Located(node, n));
            }
        } catch (NoSuchFileException e) {
            throw new InputError(file + ": file not found");
        } catch (IOException e) {
            throw new InputError(file + ": cannot read (" + e.getMessage() + ")");
        }
        return out;
    }

    /** Reads a JSON file holding an array of objects. */
    static List<Located> readJsonArray(Path file) {
        JsonNode root;
        try (InputStream in = open(file)) {
            root = MAPPER.readTree(in);
        } catch (NoSuchFileException e) {
            throw new InputError(file + ": file not found");
        } catch (IOException e) {
            throw new InputError(file + ": not valid JSON (" + firstLine(e) + ")");
        }
        if (root == null || !root.isArray()) throw new InputError(file + ": expected a JSON array of records");
        List<Located> out = new ArrayList<>();
        long i = 0;
        for (JsonNode n : root) {
            i++;
            if (!n.isObject()) throw InputError.at(file, i, null, "record " + i + " is not a JSON object");
            out.add(new Located(n, i));
        }
        return out;
    }

    /** A required string field. */
    static String text(Path file, Located rec, String field) {
        JsonNode v = rec.node().get(field);
        if (v == null || v.isNull()) throw InputError.at(file, rec.line(), field, "missing");
        if (!v.isTextual()) throw InputError.at(file, rec.line(), field, "expected a string, got " + v.getNodeType());
        return v.asText();
    }

    /**
     * A required field holding text, or a bare true/false/number written where text was meant
     * (PandaLM stores the answer "True" as a JSON boolean in a few records): such a value is
     * read as the text Python would print for it ("True", "False", "3").
     */
    static String scalarText(Path file, Located rec, String field) {
        JsonNode v = rec.node().get(field);
        if (v != null && v.isBoolean()) return v.asBoolean() ? "True" : "False";
        if (v != null && v.isNumber()) return v.asText();
        return text(file, rec, field);
    }

    /** A required integer field. */
    static int integer(Path file, Located rec, String field) {
        JsonNode v = rec.node().get(field);
        if (v == null || v.isNull()) throw InputError.at(file, rec.line(), field, "missing");
        if (!v.canConvertToInt()) throw InputError.at(file, rec.line(), field, "expected an integer, got " + v);
        return v.asInt();
    }

    private static String firstLine(IOException e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
