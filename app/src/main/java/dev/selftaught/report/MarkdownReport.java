package dev.selftaught.report;

import dev.selftaught.eval.Bootstrap;
import dev.selftaught.eval.RewardBench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The report as Markdown: the paper's results table (overall and the four categories, each with
 * its 95% interval, and the pairs and kept rows each judge was trained on), the paired difference
 * of every judge from the seed, then training data and checkpoint selection per round; with
 * replicates, the mean ± sd tables first and each replicate's tables after.
 */
public final class MarkdownReport {

    private MarkdownReport() {}

    public static final List<String> CATEGORIES = List.copyOf(RewardBench.CATEGORIES.keySet());

    /** Overall first, then the categories: the score columns of every table. */
    static final List<String> COLUMNS = columns();

    private static List<String> columns() {
        List<String> c = new ArrayList<>();
        c.add(RunReport.OVERALL);
        c.addAll(CATEGORIES);
        return List.copyOf(c);
    }

    public static String render(RunReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(r.title()).append("\n\n");
        boolean reps = !r.replicates().isEmpty();
        body(sb, r, "##", reps ? "mean ± sd over " + r.replicates().size() + " replicates" : null);
        if (r.hasIntervals() || reps) sb.append('\n').append(explainIntervals(reps)).append('\n');
        for (int i = 0; i < r.replicates().size(); i++) {
            RunReport rep = r.replicates().get(i);
            sb.append("\n## Replicate ").append(i + 1).append(": ").append(rep.title()).append("\n\n");
            body(sb, rep, "###", null);
        }
        return sb.toString();
    }

    static String explainIntervals(boolean replicates) {
        return "Brackets: " + Bootstrap.METHOD + ". A difference whose interval contains 0 is inside the noise."
                + (replicates ? " Mean ± sd: over the replicates; the difference table gives the mean difference from the seed "
                + "with a two-level bootstrap interval (replicates and items resampled together)." : "");
    }

    private static void body(StringBuilder sb, RunReport r, String h, String note) {
        sb.append(h).append(" Judge accuracy (RewardBench-style, %").append(note == null ? "" : ", " + note).append(")\n\n");
        sb.append("| Model | Pairs | Kept | ").append(String.join(" | ", COLUMNS)).append(" |\n");
        sb.append("|---|---:|---:|").append("---:|".repeat(COLUMNS.size())).append('\n');
        for (RunReport.Row row : r.rounds()) scoreRow(sb, label(row), row);
        for (RunReport.Row row : r.baselines()) scoreRow(sb, row.name() + " (baseline)", row);
        sb.append("\nOverall = mean of the categories present; categories are subset accuracies weighted as RewardBench does; "
                + "an unparsed verdict counts 0.5. Pairs / Kept: synthetic pairs and training rows the judge was trained on. "
                + "\"–\" = not evaluated or not applicable.\n");

        List<RunReport.Row> compared = new ArrayList<>();
        for (RunReport.Row row : r.rounds()) if (!row.vsSeed().isEmpty()) compared.add(row);
        for (RunReport.Row row : r.baselines()) if (!row.vsSeed().isEmpty()) compared.add(row);
        if (!compared.isEmpty()) {
            sb.append('\n').append(h).append(" Difference from the seed (points, paired bootstrap 95% interval)\n\n");
            sb.append("| Model | Pairs | Kept | ").append(String.join(" | ", COLUMNS)).append(" |\n");
            sb.append("|---|---:|---:|").append("---:|".repeat(COLUMNS.size())).append('\n');
            for (RunReport.Row row : compared) {
                List<String> cells = new ArrayList<>();
                for (String c : COLUMNS) cells.add(delta(row.vsSeed().get(c)));
                sb.append("| ").append(cell(row.round() == null ? row.name() + " (baseline)" : label(row))).append(" | ")
                        .append(count(row.pairs())).append(" | ").append(count(row.kept())).append(" | ")
                        .append(String.join(" | ", cells)).append(" |\n");
            }
        }

        List<RunReport.Row> trained = new ArrayList<>();
        for (RunReport.Row row : r.rounds()) if (row.kept() != null) trained.add(row);
        for (RunReport.Row row : r.baselines()) if (row.kept() != null) trained.add(row);
        if (!trained.isEmpty()) {
            Set<String> reasons = new LinkedHashSet<>();
            for (RunReport.Row row : trained) reasons.addAll(row.dropped().keySet());
            boolean selection = trained.stream().anyMatch(x -> x.checkpoint() != null);
            boolean methods = trained.stream().anyMatch(x -> x.method() != null);
            sb.append('\n').append(h).append(" Training data per round\n\n");
            sb.append("| Round |").append(methods ? " Method |" : "").append(" Pairs | Kept |");
            for (String reason : reasons) sb.append(" Dropped: ").append(reason).append(" |");
            if (selection) sb.append(" Selected checkpoint | Validation |");
            sb.append('\n').append("|---|").append(methods ? "---|" : "").append("---:|---:|").append("---:|".repeat(reasons.size())).append(selection ? "---|---:|" : "").append('\n');
            for (RunReport.Row row : trained) {
                sb.append("| ").append(cell(row.round() == null ? row.name() + " (baseline)" : label(row))).append(" | ");
                if (methods) sb.append(row.method() == null ? "–" : cell(row.method())).append(" | ");
                sb.append(count(row.pairs())).append(" | ").append(row.kept()).append(" |");
                for (String reason : reasons) sb.append(' ').append(row.dropped().getOrDefault(reason, 0L)).append(" |");
                if (selection) {
                    sb.append(' ').append(row.checkpoint() == null ? "–" : cell(row.checkpoint())).append(" | ")
                            .append(pct(row.validation())).append(" |");
                }
                sb.append('\n');
            }
        }
    }

    static String label(RunReport.Row row) {
        if (row.round() == null) return row.name();
        if (row.round() == 0) return "Seed (round 0)" + (row.name().equals("seed") ? "" : ": " + row.name());
        String generic = "iteration " + row.round();
        return "Iteration " + row.round() + (row.name().equals(generic) ? "" : ": " + row.name());
    }

    private static void scoreRow(StringBuilder sb, String label, RunReport.Row row) {
        List<String> cells = new ArrayList<>();
        cells.add(count(row.pairs()));
        cells.add(count(row.kept()));
        for (String c : COLUMNS) cells.add(scoreCell(row, c));
        sb.append("| ").append(cell(label)).append(" | ").append(String.join(" | ", cells)).append(" |\n");
    }

    /** "76.1", "76.1 [72.0, 80.3]" or "76.1 ± 2.0". */
    static String scoreCell(RunReport.Row row, String column) {
        Double v = row.score(column);
        String s = pct(v);
        if (v == null || v.isNaN()) return s;
        Double sd = row.sd().get(column);
        if (sd != null) s += String.format(Locale.ROOT, " ± %.1f", 100 * sd);
        Bootstrap.Interval ci = row.ci().get(column);
        if (ci != null) s += " " + interval(ci, false);
        return s;
    }

    static String interval(Bootstrap.Interval ci, boolean signed) {
        String f = signed ? "%+.1f" : "%.1f";
        return String.format(Locale.ROOT, "[" + f + ", " + f + "]", 100 * ci.lo(), 100 * ci.hi());
    }

    /** "+6.3 [+2.1, +10.4]", or "–". */
    static String delta(RunReport.Delta d) {
        return d == null ? "–" : String.format(Locale.ROOT, "%+.1f ", 100 * d.diff()) + interval(d.ci(), true);
    }

    static String count(Long n) {
        return n == null ? "–" : String.valueOf(n);
    }

    private static String cell(String s) {
        return s.replace("|", "\\|");
    }

    static String pct(Double v) {
        return v == null || v.isNaN() ? "–" : String.format(Locale.ROOT, "%.1f", 100 * v);
    }
}
