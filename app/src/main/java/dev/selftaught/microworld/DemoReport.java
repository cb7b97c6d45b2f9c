package dev.selftaught.microworld;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.report.RunReport;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The demo's paper-style table: overall and per-category accuracy of every judge. */
public final class DemoReport {
    private DemoReport() {}

    /**
     * Micro-benchmark category scores (percent) from an evaluation's subset accuracies: each
     * category is the item-weighted mean of its subsets, and "Overall" the mean of the categories.
     */
    public static Map<String, Double> categories(JsonNode metrics) {
        Map<String, Double> out = new LinkedHashMap<>();
        JsonNode subs = metrics.path("subsets");
        double sumCats = 0;
        int cats = 0;
        for (Category c : Category.values()) {
            double num = 0, den = 0;
            for (String s : Benchmark.SUBSETS.get(c)) {
                JsonNode n = subs.path(s);
                if (!n.path("accuracy").isNumber()) continue;
                num += n.path("accuracy").asDouble() * n.path("n").asDouble();
                den += n.path("n").asDouble();
            }
            if (den > 0) {
                out.put(c.label(), 100 * num / den);
                sumCats += 100 * num / den;
                cats++;
            }
        }
        if (cats > 0) out.put("Overall", sumCats / cats);
        return out;
    }

    /** A fixed-width text table, one row per judge. */
    public static String table(List<Map<String, Object>> rounds, List<Map<String, Object>> baselines) {
        return table(rounds, baselines, "categories");
    }

    /** The table from the scores under {@code key} ("categories": the frozen benchmark; "fresh_categories": the fresh one). */
    public static String table(List<Map<String, Object>> rounds, List<Map<String, Object>> baselines, String key) {
        StringBuilder sb = new StringBuilder();
        String head = String.format("%-56s %8s %8s %10s %8s %10s%n", "Judge", "Overall", "Chat", "Chat Hard", "Safety", "Reasoning");
        sb.append(head).append("-".repeat(head.length() - 1)).append('\n');
        for (Map<String, Object> r : rounds) {
            int round = ((Number) r.get("round")).intValue();
            String name = round == 0 ? "seed (round 0)" : "self-taught round " + round;
            if (r.get("kept") != null) name += " (" + r.get("kept") + " kept)";
            line(sb, name, r, key);
        }
        for (Map<String, Object> r : baselines) line(sb, String.valueOf(r.get("name")), r, key);
        return sb.toString();
    }

    private static void line(StringBuilder sb, String name, Map<String, Object> r, String key) {
        if (r.get("train_rows") instanceof Number n) name += " [" + n + " rows]";
        @SuppressWarnings("unchecked")
        Map<String, Object> c = r.get(key) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        sb.append(String.format("%-56s %8s %8s %10s %8s %10s%n", name, pct(c.get("Overall")), pct(c.get("Chat")),
                pct(c.get("Chat Hard")), pct(c.get("Safety")), pct(c.get("Reasoning"))));
    }

    private static String pct(Object v) {
        return v instanceof Number n ? String.format("%.1f", n.doubleValue()) : "-";
    }

    /** The rows as the report writer's rows (scores as fractions, as every evaluation reports them). */
    public static List<RunReport.Row> reportRows(List<Map<String, Object>> rows, boolean rounds) {
        List<RunReport.Row> out = new java.util.ArrayList<>();
        for (Map<String, Object> r : rows) {
            @SuppressWarnings("unchecked")
            Map<String, Object> c = r.get("categories") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
            Map<String, Double> cats = new LinkedHashMap<>();
            for (Category k : Category.values()) {
                if (c.get(k.label()) instanceof Number n) cats.put(k.label(), n.doubleValue() / 100);
            }
            Double overall = c.get("Overall") instanceof Number n ? n.doubleValue() / 100 : null;
            Integer round = rounds ? ((Number) r.get("round")).intValue() : null;
            String name = rounds ? (round == 0 ? "seed" : "iteration " + round) : String.valueOf(r.get("name"));
            Long kept = r.get("kept") instanceof Number n ? n.longValue() : null;
            Map<String, Long> dropped = new LinkedHashMap<>();
            if (r.get("dropped") instanceof Map<?, ?> d) {
                d.forEach((k, v) -> { if (v instanceof Number n) dropped.put(String.valueOf(k), n.longValue()); });
            }
            out.add(new RunReport.Row(round, name, overall, cats, kept, dropped));
        }
        return out;
    }
}
