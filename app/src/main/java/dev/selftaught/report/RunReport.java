package dev.selftaught.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.InputError;
import dev.selftaught.eval.EvalResult;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a run achieved, round by round, and the baselines it is compared with. Scores are
 * fractions in [0, 1] (reports show them ×100).
 *
 * <p>JSON layout ({@code report.json}):
 * <pre>
 * {"title": "...",
 *  "rounds":    [{"round": 0, "name": "seed", "overall": 0.754, "categories": {"Chat": 0.976, ...},
 *                 "kept": null, "dropped": {}}, {"round": 1, ..., "kept": 4012, "dropped": {"wrong": 812, ...}}],
 *  "baselines": [{"name": "gpt-4", "overall": 0.843, "categories": {...}, "kept": null, "dropped": {}}]}
 * </pre>
 *
 * @param title     heading of the Markdown and HTML reports
 * @param rounds    round 0 (the seed) first, then each iteration
 * @param baselines other judges evaluated on the same benchmarks (round is null)
 */
public record RunReport(String title, List<Row> rounds, List<Row> baselines) {

    /**
     * One line of the report.
     *
     * @param round      round number (0 = seed), or null for a baseline
     * @param name       display name ("seed", "iteration 1", a baseline's name)
     * @param overall    overall score (mean of the categories present), or null when not evaluated
     * @param categories category → score (Chat, Chat Hard, Safety, Reasoning, those present)
     * @param kept       training examples kept for this round, or null (seed, baselines)
     * @param dropped    dropped examples by reason (no verdict, tie, wrong, balancing, ...)
     */
    public record Row(Integer round, String name, Double overall, Map<String, Double> categories, Long kept,
                      Map<String, Long> dropped) {
        public Row {
            Objects.requireNonNull(name, "name");
            categories = categories == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(categories));
            dropped = dropped == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(dropped));
        }

        /** A row from an evaluation result. */
        public static Row of(Integer round, String name, EvalResult eval, Long kept, Map<String, Long> dropped) {
            return new Row(round, name, Double.isNaN(eval.overall()) ? null : eval.overall(), eval.categories(), kept, dropped);
        }

        public long droppedTotal() { return dropped.values().stream().mapToLong(Long::longValue).sum(); }
    }

    public RunReport {
        title = title == null ? "Self-taught evaluator run" : title;
        rounds = List.copyOf(rounds);
        baselines = List.copyOf(baselines);
    }

    static final ObjectMapper MAPPER = new ObjectMapper();

    public ObjectNode toJson() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("title", title);
        ArrayNode rs = root.putArray("rounds");
        for (Row r : rounds) rs.add(rowJson(r, true));
        ArrayNode bs = root.putArray("baselines");
        for (Row r : baselines) bs.add(rowJson(r, false));
        return root;
    }

    private static ObjectNode rowJson(Row r, boolean withRound) {
        ObjectNode o = MAPPER.createObjectNode();
        if (withRound) {
            if (r.round() == null) o.putNull("round");
            else o.put("round", r.round());
        }
        o.put("name", r.name());
        if (r.overall() == null) o.putNull("overall");
        else o.put("overall", r.overall());
        ObjectNode c = o.putObject("categories");
        r.categories().forEach(c::put);
        if (r.kept() == null) o.putNull("kept");
        else o.put("kept", r.kept());
        ObjectNode d = o.putObject("dropped");
        r.dropped().forEach(d::put);
        return o;
    }

    /**
     * Reads a report.json: the layout above, or the run loop's (rows may name a {@code model}
     * instead of a {@code name}; extra fields are ignored; a negative round means a baseline).
     */
    public static RunReport read(Path file) {
        JsonNode root;
        try {
            root = MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new InputError(file + ": not a readable report.json (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (root == null || !root.path("rounds").isArray()) throw new InputError(file + ": field 'rounds': missing or not a list");
        return new RunReport(root.path("title").asText(null), rows(file, root.path("rounds")), rows(file, root.path("baselines")));
    }

    private static List<Row> rows(Path file, JsonNode arr) {
        List<Row> out = new ArrayList<>();
        if (!arr.isArray()) return out;
        for (JsonNode n : arr) {
            Map<String, Double> cats = new LinkedHashMap<>();
            n.path("categories").properties().forEach(e -> cats.put(e.getKey(), e.getValue().asDouble()));
            Map<String, Long> dropped = new LinkedHashMap<>();
            n.path("dropped").properties().forEach(e -> { if (e.getValue().isNumber()) dropped.put(e.getKey(), e.getValue().asLong()); });
            Integer round = n.path("round").isInt() && n.get("round").asInt() >= 0 ? n.get("round").asInt() : null;
            String name = n.path("name").isTextual() ? n.get("name").asText()
                    : n.path("model").isTextual() ? n.get("model").asText()
                    : round == null ? null : round == 0 ? "seed" : "iteration " + round;
            if (name == null) throw new InputError(file + ": a row needs a 'name', a 'model' or a 'round'");
            out.add(new Row(round, name, n.path("overall").isNumber() ? n.get("overall").asDouble() : null, cats,
                    n.path("kept").isNumber() ? n.get("kept").asLong() : null, dropped));
        }
        return out;
    }
}
