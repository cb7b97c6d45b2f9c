package dev.selftaught.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One record of a dataset: a JSON object and where it came from. The typed accessors check the
 * field and throw an {@link InputError} naming file, line and field, so a caller never has to
 * format its own error for bad input.
 *
 * @param file the dataset file
 * @param line 1-based position: the line in JSONL, the line where the object starts in a JSON
 *             array, the file line of the row in CSV (header is line 1), the row number in Parquet
 * @param json the record's fields
 */
public record DataRecord(Path file, long line, ObjectNode json) {

    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    public DataRecord {
        Objects.requireNonNull(json, "json");
    }

    /** True when the field is present and not JSON null. */
    public boolean has(String field) {
        JsonNode n = json.get(field);
        return n != null && !n.isNull();
    }

    /** The field's raw JSON value; missing or null is an error. */
    public JsonNode node(String field) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) throw missing(field);
        return n;
    }

    /** A required string field. */
    public String string(String field) {
        return text(node(field), field);
    }

    /** A string field, or null when it is missing or JSON null; any other type is an error. */
    public String optString(String field) {
        return has(field) ? string(field) : null;
    }

    /** A string field, or {@code fallback} when it is missing or JSON null. */
    public String optString(String field, String fallback) {
        return has(field) ? string(field) : fallback;
    }

    /**
     * A required integer field: a JSON integer, or a string holding one (CSV cells are text).
     * A fractional number or any other type is an error.
     */
    public long integer(String field) {
        JsonNode n = node(field);
        if (n.isIntegralNumber() && n.canConvertToLong()) return n.asLong();
        if (n.isNumber() && n.asDouble() == Math.rint(n.asDouble()) && Math.abs(n.asDouble()) < 0x1p53) {
            return (long) n.asDouble(); // 3.0 is an integer written by a float-happy tool
        }
        if (n.isTextual()) {
            try {
                return Long.parseLong(n.asText().trim());
            } catch (NumberFormatException ignored) {
                // fall through to the type error
            }
        }
        throw error(field, "expected an integer, got " + describe(n));
    }

    /** An integer field, or {@code fallback} when it is missing or JSON null. */
    public long optInteger(String field, long fallback) {
        return has(field) ? integer(field) : fallback;
    }

    /** A required number field (a JSON number or a string holding one). */
    public double number(String field) {
        JsonNode n = node(field);
        if (n.isNumber()) return n.asDouble();
        if (n.isTextual()) {
            try {
                return Double.parseDouble(n.asText().trim());
            } catch (NumberFormatException ignored) {
                // fall through
            }
        }
        throw error(field, "expected a number, got " + describe(n));
    }

    /** A required boolean field (JSON true/false, or the strings "true"/"false"). */
    public boolean bool(String field) {
        JsonNode n = node(field);
        if (n.isBoolean()) return n.asBoolean();
        if (n.isTextual() && (n.asText().equals("true") || n.asText().equals("false"))) return n.asText().equals("true");
        throw error(field, "expected true or false, got " + describe(n));
    }

    /** A required array of strings. */
    public List<String> stringList(String field) {
        JsonNode n = node(field);
        if (!n.isArray()) throw error(field, "expected an array of strings, got " + describe(n));
        List<String> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) out.add(text(n.get(i), field + "[" + i + "]"));
        return List.copyOf(out);
    }

    /**
     * A required chat transcript: a non-empty array of {@code {"role", "content"}} objects with role
     * system, user or assistant and string content. Extra keys in a message are ignored.
     */
    public List<ChatMessage> messages(String field) {
        JsonNode n = node(field);
        if (!n.isArray()) throw error(field, "expected an array of {role, content} messages, got " + describe(n));
        if (n.isEmpty()) throw error(field, "expected at least one message, got an empty array");
        List<ChatMessage> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            String at = field + "[" + i + "]";
            JsonNode m = n.get(i);
            if (!m.isObject()) throw error(at, "expected a {role, content} object, got " + describe(m));
            JsonNode role = m.get("role");
            if (role == null || role.isNull()) throw error(at + ".role", "missing");
            String r = text(role, at + ".role");
            if (!ROLES.contains(r)) throw error(at + ".role", "expected system, user or assistant, got \"" + r + "\"");
            JsonNode content = m.get("content");
            if (content == null || content.isNull()) throw error(at + ".content", "missing");
            out.add(new ChatMessage(r, text(content, at + ".content")));
        }
        return List.copyOf(out);
    }

    /** An error about {@code field} of this record, in the project's one-line format. */
    public InputError error(String field, String problem) {
        return InputError.at(file, line, field, problem);
    }

    private InputError missing(String field) {
        List<String> present = new ArrayList<>();
        for (Iterator<String> it = json.fieldNames(); it.hasNext() && present.size() < 12; ) present.add(it.next());
        String hint = present.isEmpty() ? "the record has no fields" : "fields present: " + String.join(", ", present);
        return error(field, (json.has(field) ? "is null" : "missing") + " (" + hint + ")");
    }

    private String text(JsonNode n, String field) {
        if (!n.isTextual()) throw error(field, "expected a string, got " + describe(n));
        return n.asText();
    }

    static String describe(JsonNode n) {
        if (n == null || n.isNull()) return "null";
        if (n.isTextual()) return "a string";
        if (n.isIntegralNumber()) return "an integer (" + n.asText() + ")";
        if (n.isNumber()) return "a number (" + n.asText() + ")";
        if (n.isBoolean()) return "a boolean (" + n.asText() + ")";
        if (n.isArray()) return "an array";
        if (n.isObject()) return "an object";
        return n.getNodeType().toString().toLowerCase();
    }
}
