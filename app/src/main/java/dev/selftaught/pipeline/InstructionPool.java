package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.DataRecord;
import dev.selftaught.data.Datasets;
import dev.selftaught.data.InputError;
import dev.selftaught.data.RecordReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads an instruction pool (JSONL, JSON array or {"data": [...]}, or Parquet) and takes the
 * instruction text out of each row: an {@code instruction} or {@code prompt} string field, chat
 * {@code messages}, or a WildChat-style {@code conversation}; from message lists the first user
 * turn is taken by default ({@code turn: last} takes the last one).
 */
public final class InstructionPool {

    /** One pool row: where it came from and the extracted text (null when the row has none). */
    public record Row(String source, String text) {}

    private InstructionPool() {}

    /**
     * @param field explicit field name to read, or null to try instruction, prompt, messages, conversation
     * @param turn  "first" or "last" user turn of a message list
     */
    public static void read(Path file, String field, String turn, Consumer<Row> sink) {
        if (!Files.isRegularFile(file)) throw new InputError(file + ": instruction pool file not found");
        String base = file.getFileName().toString();
        // The data package's streaming readers handle JSONL, JSON arrays, CSV and Parquet alike,
        // with file:line errors for malformed rows.
        try (RecordReader r = Datasets.read(file)) {
            while (r.hasNext()) {
                DataRecord rec = r.next();
                sink.accept(row(base, rec.line(), rec.json(), field, turn));
            }
        } catch (InputError e) {
            throw e;
        } catch (Exception e) {
            throw new InputError(file + ": cannot read the instruction pool: " + e.getMessage(), e);
        }
    }

    public static List<Row> readAll(Path file, String field, String turn) {
        List<Row> rows = new ArrayList<>();
        read(file, field, turn, rows::add);
        return rows;
    }

    static Row row(String base, long index, JsonNode node, String field, String turn) {
        String id = node.hasNonNull("id") ? node.get("id").asText()
                : node.hasNonNull("conversation_hash") ? node.get("conversation_hash").asText()
                : node.hasNonNull("uid") ? node.get("uid").asText() : null;
        String source = base + (id != null ? "#" + id : ":" + index);
        return new Row(source, extract(node, field, turn));
    }

    /** The instruction text of one row, or null. */
    static String extract(JsonNode node, String field, String turn) {
        if (!node.isObject()) return null;
        if (field != null && !field.isBlank()) return textOf(node.get(field), turn);
        for (String f : new String[] {"instruction", "prompt", "messages", "conversation"}) {
            if (node.hasNonNull(f)) return textOf(node.get(f), turn);
        }
        return null;
    }

    private static String textOf(JsonNode v, String turn) {
        if (v == null || v.isNull()) return null;
        if (v.isTextual()) return v.asText();
        if (v.isArray()) {
            String found = null;
            for (int i = 0; i < v.size(); i++) {
                JsonNode m = v.get(i);
                if (m.isTextual()) { // a list of strings: alternating user/assistant turns, user first
                    if (i % 2 != 0) continue;
                    if (!"last".equals(turn)) return m.asText();
                    found = m.asText();
                    continue;
                }
                if ("user".equals(m.path("role").asText()) || "human".equals(m.path("role").asText())) {
                    JsonNode c = m.get("content");
                    String t = c == null ? null : c.isTextual() ? c.asText() : contentParts(c);
                    if (!"last".equals(turn)) return t;
                    found = t;
                }
            }
            return found;
        }
        return null;
    }

    /** OpenAI-style content parts: concatenates the text parts. */
    private static String contentParts(JsonNode c) {
        if (!c.isArray()) return null;
        StringBuilder sb = new StringBuilder();
        for (JsonNode p : c) if (p.hasNonNull("text")) sb.append(p.get("text").asText());
        return sb.toString();
    }
}
