package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.InputError;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
        String name = file.getFileName().toString().toLowerCase();
        String base = file.getFileName().toString();
        if (name.endsWith(".parquet")) {
            readParquet(file, base, field, turn, sink);
        } else if (name.endsWith(".json")) {
            JsonNode root = PipelineIo.readJson(file);
            JsonNode arr = root.isArray() ? root : root.path("data");
            if (!arr.isArray()) throw InputError.at(file, 0, null, "expected a JSON array of rows (or {\"data\": [...]})");
            for (int i = 0; i < arr.size(); i++) sink.accept(row(base, i + 1, arr.get(i), field, turn));
        } else {
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                long n = 0;
                while ((line = r.readLine()) != null) {
                    n++;
                    if (line.isBlank()) continue;
                    JsonNode node;
                    try {
                        node = PipelineIo.JSON.readTree(line);
                    } catch (IOException e) {
                        throw InputError.at(file, n, null, "not valid JSON: " + firstLine(e.getMessage()));
                    }
                    sink.accept(row(base, n, node, field, turn));
                }
            } catch (IOException e) {
                throw new InputError(file + ": cannot read: " + e.getMessage(), e);
            }
        }
    }

    public static List<Row> readAll(Path file, String field, String turn) {
        List<Row> rows = new ArrayList<>();
        read(file, field, turn, rows::add);
        return rows;
    }

    private static void readParquet(Path file, String base, String field, String turn, Consumer<Row> sink) {
        // DuckDB turns each Parquet row into one JSON object, so all row shapes share one code path.
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
             Statement st = c.createStatement()) {
            String path = file.toAbsolutePath().toString().replace("'", "''");
            try (ResultSet rs = st.executeQuery("SELECT to_json(t)::VARCHAR FROM read_parquet('" + path + "') t")) {
                long n = 0;
                while (rs.next()) {
                    n++;
                    sink.accept(row(base, n, PipelineIo.JSON.readTree(rs.getString(1)), field, turn));
                }
            }
        } catch (SQLException | IOException e) {
            throw new InputError(file + ": cannot read Parquet: " + firstLine(e.getMessage()), e);
        }
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

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
