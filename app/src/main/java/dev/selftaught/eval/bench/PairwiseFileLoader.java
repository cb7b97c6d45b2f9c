package dev.selftaught.eval.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.InputError;
import dev.selftaught.eval.PairwiseItem;
import dev.selftaught.data.ChatMessage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The generic pairwise format, which is also RewardBench's published layout: one record per
 * pair with
 * <ul>
 *   <li>{@code prompt} (string) — the user question; or {@code messages} — a list of
 *       {@code {role, content}} ending with a user turn (multi-turn items);</li>
 *   <li>{@code chosen}, {@code rejected} (strings) — the better and the worse final answer;</li>
 *   <li>{@code subset} (optional) — subset name; RewardBench names map to their category;
 *       default: the file name without extension;</li>
 *   <li>{@code id} (optional, string or number) — default: {@code subset/N}, N the record's index;</li>
 *   <li>{@code category} (optional) — the category the item's subset scores in (e.g. "Chat Hard"), for
 *       subsets that are not RewardBench's; a subset's items must all name the same category.</li>
 * </ul>
 * Other fields (e.g. RewardBench's {@code chosen_model}) are ignored. Files: JSONL
 * ({@code .jsonl}, {@code .jsonl.gz}), a JSON array ({@code .json}) or Parquet
 * ({@code .parquet}, read with DuckDB), so the official RewardBench {@code filtered} Parquet
 * file loads as is.
 */
public final class PairwiseFileLoader {

    private PairwiseFileLoader() {}

    public static Benchmark load(Path file) {
        if (!Files.isRegularFile(file)) throw new InputError(file + ": file not found (give a benchmark file or a known benchmark name)");
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        List<Json.Located> records;
        if (name.endsWith(".parquet")) records = readParquet(file);
        else if (name.endsWith(".json") && startsWithArray(file)) records = Json.readJsonArray(file);
        else records = Json.readJsonl(file);
        String defaultSubset = stem(file.getFileName().toString());
        List<PairwiseItem> items = new ArrayList<>(records.size());
        Set<String> ids = new HashSet<>();
        java.util.Map<String, String> categoryOfSubset = new java.util.HashMap<>();
        int index = 0;
        for (Json.Located r : records) {
            PairwiseItem item = item(file, r, defaultSubset, index++);
            if (!ids.add(item.id())) throw InputError.at(file, r.line(), "id", "duplicate id '" + item.id() + "'");
            String known = categoryOfSubset.putIfAbsent(item.subset(), String.valueOf(item.category()));
            if (known != null && !known.equals(String.valueOf(item.category()))) {
                throw InputError.at(file, r.line(), "category", "subset '" + item.subset() + "' is in category '" + known
                        + "' in an earlier record, here '" + item.category() + "' (a subset belongs to one category)");
            }
            items.add(item);
        }
        if (items.isEmpty()) throw new InputError(file + ": no pairs in the file");
        return new Benchmark(file.toString(), items);
    }

    static PairwiseItem item(Path file, Json.Located r, String defaultSubset, int index) {
        JsonNode n = r.node();
        String subset = n.hasNonNull("subset") ? Json.text(file, r, "subset") : defaultSubset;
        String id = n.hasNonNull("id") ? n.get("id").asText() : subset + "/" + index;
        String chosen = Json.text(file, r, "chosen");
        String rejected = Json.text(file, r, "rejected");
        List<ChatMessage> context;
        if (n.hasNonNull("messages")) {
            context = messages(file, r);
        } else if (n.hasNonNull("prompt")) {
            context = List.of(ChatMessage.user(Json.text(file, r, "prompt")));
        } else {
            throw InputError.at(file, r.line(), "prompt", "missing (give 'prompt' or 'messages')");
        }
        String category = n.hasNonNull("category") ? Json.text(file, r, "category") : null;
        if (category != null && category.isBlank()) throw InputError.at(file, r.line(), "category", "empty");
        return new PairwiseItem(id, context, chosen, rejected, subset, category);
    }

    private static List<ChatMessage> messages(Path file, Json.Located r) {
        JsonNode arr = r.node().get("messages");
        if (!arr.isArray() || arr.isEmpty()) throw InputError.at(file, r.line(), "messages", "expected a non-empty list of {role, content}");
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : arr) {
            String role = m.path("role").asText(null), content = m.path("content").asText(null);
            if (role == null || content == null || !m.get("content").isTextual()) {
                throw InputError.at(file, r.line(), "messages", "each message needs string 'role' and 'content'");
            }
            if (!Set.of("system", "user", "assistant").contains(role)) {
                throw InputError.at(file, r.line(), "messages", "unknown role '" + role + "' (use system, user or assistant)");
            }
            out.add(new ChatMessage(role, content));
        }
        if (!out.getLast().role().equals("user")) {
            throw InputError.at(file, r.line(), "messages", "the last message must be the user turn being answered");
        }
        return out;
    }

    private static boolean startsWithArray(Path file) {
        try (InputStream in = Json.open(file)) {
            int c;
            while ((c = in.read()) != -1) {
                if (!Character.isWhitespace(c) && c != 0xEF && c != 0xBB && c != 0xBF) return c == '[';
            }
            return false;
        } catch (IOException e) {
            throw new InputError(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /**
     * Reads every row of a Parquet file with DuckDB into JSON objects. Text and number columns
     * are copied; list and struct columns (e.g. {@code messages}) are converted with DuckDB's
     * {@code to_json}.
     */
    static List<Json.Located> readParquet(Path file) {
        String source = "read_parquet('" + file.toAbsolutePath().toString().replace("'", "''") + "')";
        List<Json.Located> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
            List<String> select = new ArrayList<>();
            Set<String> jsonColumns = new HashSet<>();
            try (ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM " + source)) {
                while (rs.next()) {
                    String col = rs.getString("column_name"), type = rs.getString("column_type");
                    String q = "\"" + col.replace("\"", "\"\"") + "\"";
                    if (type.endsWith("[]") || type.startsWith("STRUCT") || type.startsWith("MAP")) {
                        select.add("to_json(" + q + ")::VARCHAR AS " + q);
                        jsonColumns.add(col);
                    } else {
                        select.add(q);
                    }
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT " + String.join(", ", select) + " FROM " + source)) {
                ResultSetMetaData md = rs.getMetaData();
                long row = 0;
                while (rs.next()) {
                    row++;
                    ObjectNode o = Json.MAPPER.createObjectNode();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        String col = md.getColumnName(i);
                        Object v = rs.getObject(i);
                        if (v == null) continue;
                        if (jsonColumns.contains(col)) o.set(col, Json.MAPPER.readTree(v.toString()));
                        else if (v instanceof String s) o.put(col, s);
                        else if (v instanceof Number num) o.put(col, num.longValue());
                        else o.put(col, v.toString());
                    }
                    out.add(new Json.Located(o, row));
                }
            }
        } catch (SQLException | IOException e) {
            throw new InputError(file + ": cannot read Parquet (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        return out;
    }

    static String stem(String fileName) {
        String n = fileName;
        for (String ext : List.of(".gz", ".jsonl", ".json", ".parquet")) {
            if (n.toLowerCase(Locale.ROOT).endsWith(ext)) n = n.substring(0, n.length() - ext.length());
        }
        return n;
    }
}
