package dev.selftaught.report;

import dev.selftaught.eval.RewardBench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The report as Markdown: the paper's results table (overall and the four categories), then training data per round. */
public final class MarkdownReport {

    private MarkdownReport() {}

    public static final List<String> CATEGORIES = List.copyOf(RewardBench.CATEGORIES.keySet());

    public static String render(RunReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(r.title()).append("\n\n");
        sb.append("## Judge accuracy (RewardBench-style, %)\n\n");
        sb.append("| Model | Overall | ").append(String.join(" | ", CATEGORIES)).append(" |\n");
        sb.append("|---|---:|").append("---:|".repeat(CATEGORIES.size())).append('\n');
        for (RunReport.Row row : r.rounds()) scoreRow(sb, label(row), row);
        for (RunReport.Row row : r.baselines()) scoreRow(sb, row.name() + " (baseline)", row);
        sb.append("\nOverall = mean of the categories present; categories are subset accuracies weighted as RewardBench does; "
                + "an unparsed verdict counts 0.5. \"–\" = not evaluated.\n");

        List<RunReport.Row> trained = r.rounds().stream().filter(x -> x.kept() != null).toList();
        if (!trained.isEmpty()) {
            Set<String> reasons = new LinkedHashSet<>();
            for (RunReport.Row row : trained) reasons.addAll(row.dropped().keySet());
            sb.append("\n## Training data per round\n\n");
            sb.append("| Round | Kept |");
            for (String reason : reasons) sb.append(" Dropped: ").append(reason).append(" |");
            sb.append('\n').append("|---|---:|").append("---:|".repeat(reasons.size())).append('\n');
            for (RunReport.Row row : trained) {
                sb.append("| ").append(label(row)).append(" | ").append(row.kept()).append(" |");
                for (String reason : reasons) sb.append(' ').append(row.dropped().getOrDefault(reason, 0L)).append(" |");
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    static String label(RunReport.Row row) {
        if (row.round() == null) return row.name();
        if (row.round() == 0) return "Seed (round 0)" + (row.name().equals("seed") ? "" : ": " + row.name());
        String generic = "iteration " + row.round();
        return "Iteration " + row.round() + (row.name().equals(generic) ? "" : ": " + row.name());
    }

    private static void scoreRow(StringBuilder sb, String label, RunReport.Row row) {
        List<String> cells = new ArrayList<>();
        cells.add(pct(row.overall()));
        for (String c : CATEGORIES) cells.add(pct(row.categories().get(c)));
        sb.append("| ").append(label.replace("|", "\\|")).append(" | ").append(String.join(" | ", cells)).append(" |\n");
    }

    static String pct(Double v) {
        return v == null || v.isNaN() ? "–" : String.format(Locale.ROOT, "%.1f", 100 * v);
    }
}
