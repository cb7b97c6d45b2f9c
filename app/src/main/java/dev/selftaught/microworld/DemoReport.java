package dev.selftaught.microworld;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.eval.Bootstrap;
import dev.selftaught.report.RunReport;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The demo's paper-style table: overall and per-category accuracy of every judge. */
public final class DemoReport {
    private DemoReport() {}

    /** A demo row's scores on the fresh benchmark ({@code demo --fresh-benchmark-seed}). */
    public static final String FRESH_CATEGORIES = "fresh_categories";
    /** A demo row's judgments file on the fresh benchmark. */
    public static final String FRESH_JUDGMENTS = "fresh_judgments_file";

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

    /**
     * A fixed-width text table, one row per judge: pairs and kept training rows, overall with its
     * 95% interval (or ± sd over replicates), the paired difference from the seed with its interval,
     * and the four categories. A row trained on a subsample says its training rows in its name
     * ({@code [N rows]}), so baselines on equal terms show it.
     */
    public static String table(RunReport r) {
        StringBuilder sb = new StringBuilder();
        String fmt = "%-62s %6s %6s %20s %22s %7s %9s %7s %9s%n";
        String head = String.format(java.util.Locale.ROOT, fmt, "Judge", "Pairs", "Kept", "Overall [95% CI]", "vs seed [95% CI]",
                "Chat", "Chat Hard", "Safety", "Reasoning");
        sb.append(head).append("-".repeat(head.length() - 1)).append('\n');
        for (RunReport.Row row : r.rounds()) {
            String name = (row.round() == 0 ? "seed (round 0)" : "self-taught round " + row.round()) + rowsTag(row.name());
            if (row.checkpoint() != null) name += " [" + row.checkpoint() + "]";
            line(sb, fmt, name, row);
        }
        for (RunReport.Row row : r.baselines()) line(sb, fmt, row.name(), row);
        boolean reps = r.rounds().stream().anyMatch(x -> !x.sd().isEmpty());
        sb.append(reps ? "Overall: mean ± sd over replicates; vs seed: mean difference, two-level bootstrap interval (replicates and items).\n"
                : "Intervals: 95% bootstrap over benchmark items; vs seed: paired (same resampled items). An interval containing 0 is inside the noise.\n");
        return sb.toString();
    }

    private static void line(StringBuilder sb, String fmt, String name, RunReport.Row row) {
        var ci = row.ci().get(RunReport.OVERALL);
        Double sd = row.sd().get(RunReport.OVERALL);
        String overall = pct(row.overall() == null ? null : 100 * row.overall())
                + (sd != null ? String.format(java.util.Locale.ROOT, " ± %.1f", 100 * sd) : "")
                + (ci != null ? String.format(java.util.Locale.ROOT, " [%.1f, %.1f]", 100 * ci.lo(), 100 * ci.hi()) : "");
        var d = row.vsSeed().get(RunReport.OVERALL);
        String delta = d == null ? "-" : String.format(java.util.Locale.ROOT, "%+.1f [%+.1f, %+.1f]", 100 * d.diff(), 100 * d.ci().lo(), 100 * d.ci().hi());
        sb.append(String.format(java.util.Locale.ROOT, fmt, name.length() > 62 ? name.substring(0, 61) + "…" : name,
                row.pairs() == null ? "-" : row.pairs(), row.kept() == null ? "-" : row.kept(), overall, delta,
                pct(cat(row, "Chat")), pct(cat(row, "Chat Hard")), pct(cat(row, "Safety")), pct(cat(row, "Reasoning"))));
    }

    private static Double cat(RunReport.Row row, String c) {
        Double v = row.categories().get(c);
        return v == null ? null : 100 * v;
    }

    /** The " [N rows]" tag a row name ends with when the row says its training rows, else "". */
    private static String rowsTag(String name) {
        if (name == null || !name.endsWith(" rows]")) return "";
        int at = name.lastIndexOf(" [");
        return at < 0 ? "" : name.substring(at);
    }

    private static String pct(Object v) {
        return v instanceof Number n ? String.format(java.util.Locale.ROOT, "%.1f", n.doubleValue()) : "-";
    }

    /**
     * Copies each report row's intervals into the demo's report.json rows, in percent like their
     * categories: {@code ci} {column: [lo, hi]} and {@code vs_seed} {column: {diff, ci}}; also
     * the selected checkpoint and its validation score.
     */
    public static void addUncertainty(List<Map<String, Object>> rows, List<RunReport.Row> report) {
        addUncertainty(rows, report, "");
    }

    /** The same under keys with this prefix ({@code fresh_ci}, {@code fresh_vs_seed}, ... for the fresh benchmark). */
    public static void addUncertainty(List<Map<String, Object>> rows, List<RunReport.Row> report, String prefix) {
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> m = rows.get(i);
            RunReport.Row r = report.get(i);
            Map<String, Object> ci = new LinkedHashMap<>();
            r.ci().forEach((k, v) -> ci.put(k, List.of(100 * v.lo(), 100 * v.hi())));
            if (!ci.isEmpty()) m.put(prefix + "ci", ci);
            Map<String, Object> d = new LinkedHashMap<>();
            r.vsSeed().forEach((k, v) -> d.put(k, Map.of("diff", 100 * v.diff(), "ci", List.of(100 * v.ci().lo(), 100 * v.ci().hi()))));
            if (!d.isEmpty()) m.put(prefix + "vs_seed", d);
            if (!r.sd().isEmpty()) {
                Map<String, Object> sd = new LinkedHashMap<>();
                r.sd().forEach((k, v) -> sd.put(k, 100 * v));
                m.put(prefix + "sd", sd);
            }
        }
    }

    /** Item scores with the micro-world category of their subset where the file gave none. */
    static List<Bootstrap.ItemScore> withCategories(List<Bootstrap.ItemScore> items) {
        List<Bootstrap.ItemScore> out = new java.util.ArrayList<>(items.size());
        for (Bootstrap.ItemScore i : items) {
            Category c = i.category() != null ? null : WorldFiles.categoryOf(i.subset());
            out.add(c == null ? i : new Bootstrap.ItemScore(i.id(), i.subset(), c.label(), i.score()));
        }
        return out;
    }

    /**
     * The rows as the report writer's rows (scores as fractions, as every evaluation reports them),
     * with pairs, the selected checkpoint, and each row's interval and paired difference from the
     * seed computed from its judgments file ({@code judgments_file}) and the seed's.
     */
    public static List<RunReport.Row> reportRows(List<Map<String, Object>> rows, boolean rounds, Path seedJudgments) {
        return reportRows(rows, rounds, seedJudgments, "categories", "judgments_file");
    }

    /**
     * The rows from the scores under {@code categoriesKey} and the judgments under {@code judgmentsKey}
     * ({@link #FRESH_CATEGORIES} and {@link #FRESH_JUDGMENTS}: the same judges on the fresh benchmark).
     */
    public static List<RunReport.Row> reportRows(List<Map<String, Object>> rows, boolean rounds, Path seedJudgments,
                                                 String categoriesKey, String judgmentsKey) {
        List<RunReport.Row> out = new java.util.ArrayList<>();
        for (Map<String, Object> r : rows) {
            @SuppressWarnings("unchecked")
            Map<String, Object> c = r.get(categoriesKey) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
            Map<String, Double> cats = new LinkedHashMap<>();
            for (Category k : Category.values()) {
                if (c.get(k.label()) instanceof Number n) cats.put(k.label(), n.doubleValue() / 100);
            }
            Double overall = c.get("Overall") instanceof Number n ? n.doubleValue() / 100 : null;
            Integer round = rounds ? ((Number) r.get("round")).intValue() : null;
            String name = rounds ? (round == 0 ? "seed" : "iteration " + round) : String.valueOf(r.get("name"));
            if (r.get("train_rows") instanceof Number n) name += " [" + n + " rows]";
            Long kept = r.get("kept") instanceof Number n ? n.longValue() : null;
            Map<String, Long> dropped = new LinkedHashMap<>();
            if (r.get("dropped") instanceof Map<?, ?> d) {
                d.forEach((k, v) -> { if (v instanceof Number n) dropped.put(String.valueOf(k), n.longValue()); });
            }
            RunReport.Row row = new RunReport.Row(round, name, overall, cats, kept, dropped)
                    .withPairs(r.get("pairs") instanceof Number n ? n.longValue() : null)
                    .withSelection(r.get("checkpoint") instanceof String s ? s : null,
                            r.get("validation") instanceof Number v ? v.doubleValue() : null);
            Path own = Demo.judgmentsOf(r, judgmentsKey);
            if (own == null || !java.nio.file.Files.isRegularFile(own)) {
                out.add(row);
                continue;
            }
            boolean compare = seedJudgments != null && java.nio.file.Files.isRegularFile(seedJudgments) && !seedJudgments.equals(own);
            out.add(row.withUncertainty(withCategories(Bootstrap.readItems(own)),
                    compare ? withCategories(Bootstrap.readItems(seedJudgments)) : null));
        }
        return out;
    }

    /**
     * Adds a second report (the same judges on the fresh benchmark) to the rendered reports in
     * {@code out}: its own report.md, report.html and charts go to {@code out/fresh/}, and its
     * sections are appended to {@code out/report.md} and {@code out/report.html}, so one page shows
     * both benchmarks.
     */
    public static void appendRendered(RunReport second, Path out) {
        Path dir = out.resolve("fresh");
        dev.selftaught.report.ReportWriter.writeRendered(second, dir);
        try {
            String md = java.nio.file.Files.readString(out.resolve(dev.selftaught.report.ReportWriter.MARKDOWN));
            String freshMd = java.nio.file.Files.readString(dir.resolve(dev.selftaught.report.ReportWriter.MARKDOWN))
                    .replaceFirst("^# ", "## ").replace("](charts/", "](fresh/charts/");
            dev.selftaught.data.AtomicFiles.write(out.resolve(dev.selftaught.report.ReportWriter.MARKDOWN),
                    (md.stripTrailing() + "\n\n" + freshMd).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            String html = java.nio.file.Files.readString(out.resolve(dev.selftaught.report.ReportWriter.HTML));
            String freshHtml = java.nio.file.Files.readString(dir.resolve(dev.selftaught.report.ReportWriter.HTML));
            int from = freshHtml.indexOf("<body>"), to = freshHtml.lastIndexOf("</body>"), end = html.lastIndexOf("</body>");
            if (from < 0 || to < from || end < 0) throw new IllegalStateException("unexpected report.html layout in " + dir);
            String body = freshHtml.substring(from + "<body>".length(), to).replaceFirst("<h1>", "<h1 id=\"fresh\">");
            dev.selftaught.data.AtomicFiles.write(out.resolve(dev.selftaught.report.ReportWriter.HTML),
                    (html.substring(0, end) + body + html.substring(end)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot add the fresh benchmark's report to " + out, e);
        }
    }
}
