package dev.selftaught.microworld;

import dev.selftaught.eval.Bootstrap;
import dev.selftaught.pipeline.PipelineIo;
import dev.selftaught.report.ReportWriter;
import dev.selftaught.report.RunReport;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * {@code selftaught demo --replicates R}: R independent demos in {@code OUT/replicate-K} (pool,
 * pair sampling, annotation sampling and trainer seeded by K; the benchmark, its A/B order and the
 * seed model shared), then one report: per row the mean ± sd over replicates and the interval of
 * the mean difference from the seed (a two-level bootstrap over replicates and items, see
 * {@link Bootstrap#meanDifference}), followed by each replicate's own tables.
 */
public final class DemoReplicates {

    private DemoReplicates() {}

    /** Runs (or resumes) every replicate and writes the combined report into {@code out}; returns it. */
    public static RunReport run(int replicates, Path out, IntFunction<Demo> demoForReplicate, String seedSpec, PrintStream err) {
        if (replicates < 1) throw new dev.selftaught.data.InputError("--replicates must be at least 1, got " + replicates);
        List<List<Map<String, Object>>> rounds = new ArrayList<>(), baselines = new ArrayList<>();
        List<RunReport> reports = new ArrayList<>(), freshReports = new ArrayList<>();
        List<Path> seeds = new ArrayList<>(), freshSeeds = new ArrayList<>();
        for (int k = 1; k <= replicates; k++) {
            err.printf("demo: replicate %d of %d in %s%n", k, replicates, out.resolve("replicate-" + k));
            Map<String, Object> combined = demoForReplicate.apply(k).run(seedSpec);
            List<Map<String, Object>> rs = rows(combined.get("rounds")), bs = rows(combined.get("baselines"));
            Path seedJudgments = rs.isEmpty() ? null : Demo.judgmentsOf(rs.getFirst());
            rounds.add(rs);
            baselines.add(bs);
            seeds.add(seedJudgments);
            reports.add(new RunReport("replicate " + k, DemoReport.reportRows(rs, true, seedJudgments),
                    DemoReport.reportRows(bs, false, seedJudgments)));
            if (!rs.isEmpty() && rs.getFirst().get(DemoReport.FRESH_CATEGORIES) != null) {
                Path seedFresh = Demo.judgmentsOf(rs.getFirst(), DemoReport.FRESH_JUDGMENTS);
                freshSeeds.add(seedFresh);
                freshReports.add(new RunReport("replicate " + k + ", fresh benchmark",
                        DemoReport.reportRows(rs, true, seedFresh, DemoReport.FRESH_CATEGORIES, DemoReport.FRESH_JUDGMENTS),
                        DemoReport.reportRows(bs, false, seedFresh, DemoReport.FRESH_CATEGORIES, DemoReport.FRESH_JUDGMENTS)));
            }
        }
        // the fresh benchmark is summarised like the frozen one when every replicate scored it
        boolean fresh = !freshReports.isEmpty() && freshReports.size() == replicates;
        RunReport freshSummary = !fresh ? null : new RunReport("the same judges on the fresh benchmark, " + replicates + " replicates",
                meanRows(rounds, freshReports, freshSeeds, true, DemoReport.FRESH_JUDGMENTS),
                meanRows(baselines, freshReports, freshSeeds, false, DemoReport.FRESH_JUDGMENTS), freshReports);
        RunReport summary = new RunReport("selftaught demo: the micro-world, " + replicates + " replicates",
                meanRows(rounds, reports, seeds, true), meanRows(baselines, reports, seeds, false), reports);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("title", summary.title());
        json.put("replicates", replicates);
        json.put("ci_method", Bootstrap.METHOD);
        json.put("rounds", rowsJson(summary.rounds()));
        json.put("baselines", rowsJson(summary.baselines()));
        if (fresh) {
            json.put("fresh_rounds", rowsJson(freshSummary.rounds()));
            json.put("fresh_baselines", rowsJson(freshSummary.baselines()));
        }
        List<String> dirs = new ArrayList<>();
        for (int k = 1; k <= replicates; k++) dirs.add("replicate-" + k);
        json.put("replicate_dirs", dirs);
        PipelineIo.writeJson(out.resolve("report.json"), json);
        StringBuilder table = new StringBuilder("Mean ± sd over " + replicates + " replicates\n").append(DemoReport.table(summary));
        if (fresh) table.append("\nThe same judges on the fresh benchmark: mean ± sd over ").append(replicates).append(" replicates\n")
                .append(DemoReport.table(freshSummary));
        for (int k = 0; k < reports.size(); k++) {
            table.append("\nReplicate ").append(k + 1).append('\n').append(DemoReport.table(reports.get(k)));
            if (fresh) table.append("Replicate ").append(k + 1).append(", fresh benchmark\n").append(DemoReport.table(freshReports.get(k)));
        }
        PipelineIo.writeText(out.resolve("table.txt"), table.toString());
        ReportWriter.writeRendered(summary, out);
        if (fresh) DemoReport.appendRendered(freshSummary, out);
        return summary;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rows(Object o) {
        return o instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    /** Mean and sd per row position over replicates, and the mean paired difference from the seed. */
    static List<RunReport.Row> meanRows(List<List<Map<String, Object>>> perReplicate, List<RunReport> reports, List<Path> seeds,
                                        boolean rounds) {
        return meanRows(perReplicate, reports, seeds, rounds, "judgments_file");
    }

    /** The same from each row's judgments under {@code judgmentsKey} ({@link DemoReport#FRESH_JUDGMENTS}: the fresh benchmark). */
    static List<RunReport.Row> meanRows(List<List<Map<String, Object>>> perReplicate, List<RunReport> reports, List<Path> seeds,
                                        boolean rounds, String judgmentsKey) {
        List<RunReport.Row> out = new ArrayList<>();
        int n = perReplicate.stream().mapToInt(List::size).min().orElse(0);
        for (int i = 0; i < n; i++) {
            List<RunReport.Row> rows = new ArrayList<>();
            for (RunReport rep : reports) rows.add((rounds ? rep.rounds() : rep.baselines()).get(i));
            RunReport.Row first = rows.getFirst();
            Map<String, Double> mean = new LinkedHashMap<>(), sd = new LinkedHashMap<>();
            Double overall = null;
            List<String> columns = new ArrayList<>();
            columns.add(RunReport.OVERALL);
            for (Category c : Category.values()) columns.add(c.label());
            for (String col : columns) {
                double[] v = rows.stream().map(r -> r.score(col)).filter(x -> x != null && !x.isNaN()).mapToDouble(Double::doubleValue).toArray();
                if (v.length != rows.size()) continue;
                double m = java.util.Arrays.stream(v).average().orElse(Double.NaN);
                if (col.equals(RunReport.OVERALL)) overall = m;
                else mean.put(col, m);
                if (v.length > 1) {
                    double ss = 0;
                    for (double x : v) ss += (x - m) * (x - m);
                    sd.put(col, Math.sqrt(ss / (v.length - 1)));
                }
            }
            Long pairs = average(rows.stream().map(RunReport.Row::pairs).toList());
            Long kept = average(rows.stream().map(RunReport.Row::kept).toList());
            RunReport.Row row = new RunReport.Row(first.round(), first.name(), overall, mean, kept, Map.of())
                    .withPairs(pairs).withSd(sd);
            out.add(withMeanDifference(row, perReplicate, seeds, i, judgmentsKey));
        }
        return out;
    }

    /** The mean paired difference from the seed over replicates, when every replicate has both files. */
    private static RunReport.Row withMeanDifference(RunReport.Row row, List<List<Map<String, Object>>> perReplicate,
                                                    List<Path> seeds, int i, String judgmentsKey) {
        if (row.round() != null && row.round() == 0) return row;
        List<List<Bootstrap.ItemScore>> judges = new ArrayList<>(), bases = new ArrayList<>();
        for (int k = 0; k < perReplicate.size(); k++) {
            Path own = Demo.judgmentsOf(perReplicate.get(k).get(i), judgmentsKey), seed = seeds.get(k);
            if (own == null || seed == null || !Files.isRegularFile(own) || !Files.isRegularFile(seed)) return row;
            judges.add(DemoReport.withCategories(Bootstrap.readItems(own)));
            bases.add(DemoReport.withCategories(Bootstrap.readItems(seed)));
        }
        try {
            return row.withUncertainty((Bootstrap.Estimate) null, Bootstrap.meanDifference(judges, bases));
        } catch (IllegalArgumentException e) {
            return row; // replicates scored on different items: no paired difference
        }
    }

    private static Long average(List<Long> values) {
        if (values.isEmpty() || values.stream().anyMatch(java.util.Objects::isNull)) return null;
        return Math.round(values.stream().mapToLong(Long::longValue).average().orElse(0));
    }

    private static List<Map<String, Object>> rowsJson(List<RunReport.Row> rows) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (RunReport.Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            if (r.round() != null) m.put("round", r.round());
            m.put("name", r.name());
            Map<String, Object> cats = new LinkedHashMap<>();
            if (r.overall() != null) cats.put(RunReport.OVERALL, 100 * r.overall());
            r.categories().forEach((k, v) -> cats.put(k, 100 * v));
            m.put("categories", cats);
            m.put("pairs", r.pairs());
            m.put("kept", r.kept());
            out.add(m);
        }
        DemoReport.addUncertainty(out, rows);
        return out;
    }
}
