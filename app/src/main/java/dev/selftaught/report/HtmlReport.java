package dev.selftaught.report;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One self-contained HTML page: the same tables as {@link MarkdownReport} (scores with their 95%
 * intervals, pairs and kept rows on every row, differences from the seed, training data and the
 * selected checkpoint) and both charts (PNG embedded as base64 data URIs).
 */
public final class HtmlReport {

    private HtmlReport() {}

    public static String render(RunReport r, byte[] accuracyPng, byte[] keptPng) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(r.title()))
                .append("</title>\n<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
                        + "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:4px 10px}"
                        + "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f0f0f0}"
                        + ".ci{color:#666;font-size:85%}"
                        + "img{max-width:100%;border:1px solid #ddd;margin:1em 0}.note{color:#555;font-size:90%}</style>"
                        + "</head><body>\n");
        sb.append("<h1>").append(esc(r.title())).append("</h1>\n");
        boolean reps = !r.replicates().isEmpty();
        body(sb, r, "h2", reps ? "mean ± sd over " + r.replicates().size() + " replicates" : null);
        if (r.hasIntervals() || reps) sb.append("<p class=\"note\">").append(esc(MarkdownReport.explainIntervals(reps))).append("</p>\n");
        sb.append("<img alt=\"Judge accuracy per round\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(accuracyPng)).append("\">\n");
        sb.append("<img alt=\"Training examples per round\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(keptPng)).append("\">\n");
        for (int i = 0; i < r.replicates().size(); i++) {
            RunReport rep = r.replicates().get(i);
            sb.append("<h2>Replicate ").append(i + 1).append(": ").append(esc(rep.title())).append("</h2>\n");
            body(sb, rep, "h3", null);
        }
        sb.append("</body></html>\n");
        return sb.toString();
    }

    private static void body(StringBuilder sb, RunReport r, String h, String note) {
        sb.append('<').append(h).append(">Judge accuracy (RewardBench-style, %").append(note == null ? "" : ", " + esc(note))
                .append(")</").append(h).append(">\n");
        header(sb, "Model");
        for (RunReport.Row row : r.rounds()) scoreRow(sb, MarkdownReport.label(row), row);
        for (RunReport.Row row : r.baselines()) scoreRow(sb, row.name() + " (baseline)", row);
        sb.append("</table>\n<p class=\"note\">Overall = mean of the categories present; categories are subset accuracies "
                + "weighted as RewardBench does; an unparsed verdict counts 0.5. Pairs / Kept: synthetic pairs and training rows "
                + "the judge was trained on. &ndash; = not evaluated or not applicable.</p>\n");

        List<RunReport.Row> compared = new ArrayList<>();
        for (RunReport.Row row : r.rounds()) if (!row.vsSeed().isEmpty()) compared.add(row);
        for (RunReport.Row row : r.baselines()) if (!row.vsSeed().isEmpty()) compared.add(row);
        if (!compared.isEmpty()) {
            sb.append('<').append(h).append(">Difference from the seed (points, paired bootstrap 95% interval)</").append(h).append(">\n");
            header(sb, "Model");
            for (RunReport.Row row : compared) {
                sb.append("<tr><td>").append(esc(name(row))).append("</td>").append(num(MarkdownReport.count(row.pairs())))
                        .append(num(MarkdownReport.count(row.kept())));
                for (String c : MarkdownReport.COLUMNS) {
                    RunReport.Delta d = row.vsSeed().get(c);
                    sb.append(d == null ? num("–") : "<td class=\"n\">" + String.format(java.util.Locale.ROOT, "%+.1f", 100 * d.diff())
                            + " <span class=\"ci\">" + MarkdownReport.interval(d.ci(), true) + "</span></td>");
                }
                sb.append("</tr>\n");
            }
            sb.append("</table>\n");
        }

        List<RunReport.Row> trained = new ArrayList<>();
        for (RunReport.Row row : r.rounds()) if (row.kept() != null) trained.add(row);
        for (RunReport.Row row : r.baselines()) if (row.kept() != null) trained.add(row);
        if (!trained.isEmpty()) {
            Set<String> reasons = new LinkedHashSet<>();
            for (RunReport.Row row : trained) reasons.addAll(row.dropped().keySet());
            boolean selection = trained.stream().anyMatch(x -> x.checkpoint() != null);
            boolean methods = trained.stream().anyMatch(x -> x.method() != null);
            sb.append('<').append(h).append(">Training data per round</").append(h).append(">\n<table><tr><th>Round</th>")
                    .append(methods ? "<th>Method</th>" : "").append("<th>Pairs</th><th>Kept</th>");
            for (String reason : reasons) sb.append("<th>Dropped: ").append(esc(reason)).append("</th>");
            if (selection) sb.append("<th>Selected checkpoint</th><th>Validation</th>");
            sb.append("</tr>\n");
            for (RunReport.Row row : trained) {
                sb.append("<tr><td>").append(esc(name(row))).append("</td>");
                if (methods) sb.append("<td>").append(row.method() == null ? "&ndash;" : esc(row.method())).append("</td>");
                sb.append(num(MarkdownReport.count(row.pairs())))
                        .append(num(String.valueOf(row.kept())));
                for (String reason : reasons) sb.append(num(String.valueOf(row.dropped().getOrDefault(reason, 0L))));
                if (selection) {
                    sb.append("<td>").append(row.checkpoint() == null ? "&ndash;" : esc(row.checkpoint())).append("</td>")
                            .append(num(MarkdownReport.pct(row.validation())));
                }
                sb.append("</tr>\n");
            }
            sb.append("</table>\n");
        }
    }

    private static String name(RunReport.Row row) {
        return row.round() == null ? row.name() + " (baseline)" : MarkdownReport.label(row);
    }

    private static void header(StringBuilder sb, String first) {
        sb.append("<table><tr><th>").append(first).append("</th><th>Pairs</th><th>Kept</th>");
        for (String c : MarkdownReport.COLUMNS) sb.append("<th>").append(esc(c)).append("</th>");
        sb.append("</tr>\n");
    }

    private static String num(String s) {
        return "<td class=\"n\">" + esc(s) + "</td>";
    }

    private static void scoreRow(StringBuilder sb, String label, RunReport.Row row) {
        sb.append("<tr><td>").append(esc(label)).append("</td>").append(num(MarkdownReport.count(row.pairs())))
                .append(num(MarkdownReport.count(row.kept())));
        for (String c : MarkdownReport.COLUMNS) {
            Double v = row.score(c);
            sb.append("<td class=\"n\">").append(MarkdownReport.pct(v));
            if (v != null && !v.isNaN()) {
                Double sd = row.sd().get(c);
                if (sd != null) sb.append(String.format(java.util.Locale.ROOT, " &plusmn; %.1f", 100 * sd));
                var ci = row.ci().get(c);
                if (ci != null) sb.append(" <span class=\"ci\">").append(MarkdownReport.interval(ci, false)).append("</span>");
            }
            sb.append("</td>");
        }
        sb.append("</tr>\n");
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
