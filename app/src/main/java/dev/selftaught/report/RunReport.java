package dev.selftaught.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.InputError;
import dev.selftaught.eval.Bootstrap;
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
 * {"title": "...", "ci_method": "95% percentile bootstrap over items ...",
 *  "rounds":    [{"round": 0, "name": "seed", "overall": 0.754, "categories": {"Chat": 0.976, ...},
 *                 "ci": {"Overall": [0.71, 0.79], "Chat": [...], ...}, "pairs": null, "kept": null, "dropped": {}},
 *                {"round": 1, ..., "pairs": 5120, "kept": 4012, "dropped": {"wrong": 812, ...},
 *                 "vs_seed": {"Overall": {"diff": 0.06, "ci": [0.02, 0.10]}, ...},
 *                 "checkpoint": "checkpoint-40", "validation": 0.81, "method": "sft"}],
 *  "baselines": [{"name": "gpt-4", "overall": 0.843, "categories": {...}, "kept": null, "dropped": {}}],
 *  "replicates": [{"title": ..., "rounds": [...], "baselines": [...]}, ...]}
 * </pre>
 * With replicates, the top-level rows hold the mean over replicates, {@code sd} their standard
 * deviation, and {@code vs_seed} the interval of the mean difference (two-level bootstrap).
 *
 * @param title      heading of the Markdown and HTML reports
 * @param rounds     round 0 (the seed) first, then each iteration
 * @param baselines  other judges evaluated on the same benchmarks (round is null)
 * @param replicates each replicate's own report when these rows summarize several; empty otherwise
 */
public record RunReport(String title, List<Row> rounds, List<Row> baselines, List<RunReport> replicates) {

    /** A paired difference from the seed and its interval. */
    public record Delta(double diff, Bootstrap.Interval ci) {
        public Delta {
            if (Math.abs(diff) < 1e-12) diff = 0; // rounding noise of a subtraction, not "-0.0"
        }
    }

    /**
     * One line of the report.
     *
     * @param round      round number (0 = seed), or null for a baseline
     * @param name       display name ("seed", "iteration 1", a baseline's name)
     * @param overall    overall score (mean of the categories present), or null when not evaluated
     * @param categories category → score (Chat, Chat Hard, Safety, Reasoning, those present)
     * @param kept       training examples kept for this row's training, or null (seed, judges not trained here)
     * @param dropped    dropped examples by reason (no verdict, tie, wrong, balancing, ...)
     * @param pairs      synthetic pairs this row's training started from, or null
     * @param ci         "Overall" and each category → 95% bootstrap interval; empty when unknown
     * @param vsSeed     "Overall" and each category → paired difference from round 0; empty for the seed
     * @param sd         with replicates: "Overall" and each category → standard deviation over replicates
     * @param checkpoint the checkpoint checkpoint selection kept (e.g. "final", "checkpoint-40"), or null
     * @param validation its score on the validation set, or null
     * @param method     how this row's judge was trained (train.method: sft, dpo, sft+dpo, grpo), or null (seed, baselines)
     */
    public record Row(Integer round, String name, Double overall, Map<String, Double> categories, Long kept,
                      Map<String, Long> dropped, Long pairs, Map<String, Bootstrap.Interval> ci, Map<String, Delta> vsSeed,
                      Map<String, Double> sd, String checkpoint, Double validation, String method) {
        public Row {
            Objects.requireNonNull(name, "name");
            categories = copy(categories);
            dropped = copy(dropped);
            ci = copy(ci);
            vsSeed = copy(vsSeed);
            sd = copy(sd);
        }

        /** A row without a training method. */
        public Row(Integer round, String name, Double overall, Map<String, Double> categories, Long kept,
                   Map<String, Long> dropped, Long pairs, Map<String, Bootstrap.Interval> ci, Map<String, Delta> vsSeed,
                   Map<String, Double> sd, String checkpoint, Double validation) {
            this(round, name, overall, categories, kept, dropped, pairs, ci, vsSeed, sd, checkpoint, validation, null);
        }

        /** A row without uncertainty, pairs or selection. */
        public Row(Integer round, String name, Double overall, Map<String, Double> categories, Long kept, Map<String, Long> dropped) {
            this(round, name, overall, categories, kept, dropped, null, Map.of(), Map.of(), Map.of(), null, null);
        }

        /** A row from an evaluation result. */
        public static Row of(Integer round, String name, EvalResult eval, Long kept, Map<String, Long> dropped) {
            return new Row(round, name, Double.isNaN(eval.overall()) ? null : eval.overall(), eval.categories(), kept, dropped);
        }

        public long droppedTotal() { return dropped.values().stream().mapToLong(Long::longValue).sum(); }

        /** The score of a column: "Overall" or a category. */
        public Double score(String column) { return column.equals(OVERALL) ? overall : categories.get(column); }

        public Row withPairs(Long p) {
            return new Row(round, name, overall, categories, kept, dropped, p, ci, vsSeed, sd, checkpoint, validation, method);
        }

        public Row withSelection(String chosen, Double score) {
            return new Row(round, name, overall, categories, kept, dropped, pairs, ci, vsSeed, sd, chosen, score, method);
        }

        public Row withSd(Map<String, Double> s) {
            return new Row(round, name, overall, categories, kept, dropped, pairs, ci, vsSeed, s, checkpoint, validation, method);
        }

        public Row withMethod(String m) {
            return new Row(round, name, overall, categories, kept, dropped, pairs, ci, vsSeed, sd, checkpoint, validation, m);
        }

        /** This row with the intervals of an estimate and, when given, the paired difference from the seed. */
        public Row withUncertainty(Bootstrap.Estimate own, Bootstrap.Estimate fromSeed) {
            Map<String, Bootstrap.Interval> c = new LinkedHashMap<>();
            if (own != null) {
                c.put(OVERALL, own.overallCi());
                c.putAll(own.categoryCi());
            }
            Map<String, Delta> d = new LinkedHashMap<>();
            if (fromSeed != null) {
                d.put(OVERALL, new Delta(fromSeed.overall(), fromSeed.overallCi()));
                fromSeed.categories().forEach((k, v) -> d.put(k, new Delta(v, fromSeed.categoryCi().get(k))));
            }
            return new Row(round, name, overall, categories, kept, dropped, pairs, c, d, sd, checkpoint, validation, method);
        }

        /**
         * This row with intervals from an evaluation's judgments.jsonl and the paired difference
         * from the seed's (null: none); unchanged when a file is missing.
         */
        public Row withUncertainty(java.nio.file.Path judgments, java.nio.file.Path seedJudgments) {
            if (judgments == null || !java.nio.file.Files.isRegularFile(judgments)) return this;
            boolean compare = seedJudgments != null && java.nio.file.Files.isRegularFile(seedJudgments) && !seedJudgments.equals(judgments);
            return withUncertainty(Bootstrap.readItems(judgments), compare ? Bootstrap.readItems(seedJudgments) : null);
        }

        /** This row with intervals from its item scores and the paired difference from the seed's (null: none). */
        public Row withUncertainty(List<Bootstrap.ItemScore> items, List<Bootstrap.ItemScore> seed) {
            Bootstrap.Estimate d = null;
            if (seed != null) {
                try {
                    d = Bootstrap.paired(items, seed);
                } catch (IllegalArgumentException e) {
                    d = null; // scored on other items: no paired difference
                }
            }
            return withUncertainty(Bootstrap.estimate(items), d);
        }
    }

    /** The name of the overall column in {@link Row#ci}, {@link Row#vsSeed} and {@link Row#sd}. */
    public static final String OVERALL = "Overall";

    private static <K, V> Map<K, V> copy(Map<K, V> m) {
        return m == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    public RunReport {
        title = title == null ? "Self-taught evaluator run" : title;
        rounds = List.copyOf(rounds);
        baselines = List.copyOf(baselines);
        replicates = replicates == null ? List.of() : List.copyOf(replicates);
    }

    public RunReport(String title, List<Row> rounds, List<Row> baselines) {
        this(title, rounds, baselines, List.of());
    }

    /** True when some row has an interval (the report then explains them). */
    public boolean hasIntervals() {
        for (Row r : rounds) if (!r.ci().isEmpty() || !r.vsSeed().isEmpty()) return true;
        for (Row r : baselines) if (!r.ci().isEmpty() || !r.vsSeed().isEmpty()) return true;
        return false;
    }

    static final ObjectMapper MAPPER = new ObjectMapper();

    public ObjectNode toJson() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("title", title);
        if (hasIntervals()) root.put("ci_method", Bootstrap.METHOD);
        ArrayNode rs = root.putArray("rounds");
        for (Row r : rounds) rs.add(rowJson(r, true));
        ArrayNode bs = root.putArray("baselines");
        for (Row r : baselines) bs.add(rowJson(r, false));
        if (!replicates.isEmpty()) {
            ArrayNode reps = root.putArray("replicates");
            for (RunReport rep : replicates) reps.add(rep.toJson());
        }
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
        if (!r.ci().isEmpty()) {
            ObjectNode ci = o.putObject("ci");
            r.ci().forEach((k, v) -> ci.set(k, v.json(MAPPER)));
        }
        if (!r.sd().isEmpty()) {
            ObjectNode sd = o.putObject("sd");
            r.sd().forEach(sd::put);
        }
        if (!r.vsSeed().isEmpty()) {
            ObjectNode d = o.putObject("vs_seed");
            r.vsSeed().forEach((k, v) -> {
                ObjectNode e = d.putObject(k);
                e.put("diff", v.diff());
                e.set("ci", v.ci().json(MAPPER));
            });
        }
        if (r.pairs() == null) o.putNull("pairs");
        else o.put("pairs", r.pairs());
        if (r.kept() == null) o.putNull("kept");
        else o.put("kept", r.kept());
        ObjectNode d = o.putObject("dropped");
        r.dropped().forEach(d::put);
        if (r.checkpoint() != null) o.put("checkpoint", r.checkpoint());
        if (r.validation() != null) o.put("validation", r.validation());
        if (r.method() != null) o.put("method", r.method());
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
        return parse(file, root);
    }

    private static RunReport parse(Path file, JsonNode root) {
        if (root == null || !root.path("rounds").isArray()) throw new InputError(file + ": field 'rounds': missing or not a list");
        List<RunReport> reps = new ArrayList<>();
        for (JsonNode n : root.path("replicates")) reps.add(parse(file, n));
        return new RunReport(root.path("title").asText(null), rows(file, root.path("rounds")), rows(file, root.path("baselines")), reps);
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
            Map<String, Bootstrap.Interval> ci = new LinkedHashMap<>();
            n.path("ci").properties().forEach(e -> { var i = Bootstrap.Interval.of(e.getValue()); if (i != null) ci.put(e.getKey(), i); });
            Map<String, Delta> vs = new LinkedHashMap<>();
            n.path("vs_seed").properties().forEach(e -> {
                var i = Bootstrap.Interval.of(e.getValue().path("ci"));
                if (i != null && e.getValue().path("diff").isNumber()) vs.put(e.getKey(), new Delta(e.getValue().get("diff").asDouble(), i));
            });
            Map<String, Double> sd = new LinkedHashMap<>();
            n.path("sd").properties().forEach(e -> { if (e.getValue().isNumber()) sd.put(e.getKey(), e.getValue().asDouble()); });
            out.add(new Row(round, name, n.path("overall").isNumber() ? n.get("overall").asDouble() : null, cats,
                    n.path("kept").isNumber() ? n.get("kept").asLong() : null, dropped,
                    n.path("pairs").isNumber() ? n.get("pairs").asLong() : null, ci, vs, sd,
                    n.path("checkpoint").isTextual() ? n.get("checkpoint").asText() : null,
                    n.path("validation").isNumber() ? n.get("validation").asDouble() : null,
                    n.path("method").isTextual() ? n.get("method").asText() : null));
        }
        return out;
    }
}
