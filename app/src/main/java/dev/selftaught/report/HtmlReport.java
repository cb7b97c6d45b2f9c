package dev.selftaught.report;

import java.util.Base64;

/** One self-contained HTML page: the tables and both charts (PNG embedded as base64 data URIs). */
public final class HtmlReport {

    private HtmlReport() {}

    public static String render(RunReport r, byte[] accuracyPng, byte[] keptPng) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(r.title()))
                .append("</title>\n<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
                        + "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:4px 10px}"
                        + "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f0f0f0}"
                        + "img{max-width:100%;border:1px solid #ddd;margin:1em 0}.note{color:#555;font-size:90%}</style>"
                        + "</head><body>\n");
        sb.append("<h1>").append(esc(r.title())).append("</h1>\n");
        sb.append("<h2>Judge accuracy (RewardBench-style, %)</h2>\n<table><tr><th>Model</th><th>Overall</th>");
        for (String c : MarkdownReport.CATEGORIES) sb.append("<th>").append(esc(c)).append("</th>");
        sb.append("</tr>\n");
        for (RunReport.Row row : r.rounds()) scoreRow(sb, MarkdownReport.label(row), row);
        for (RunReport.Row row : r.baselines()) scoreRow(sb, row.name() + " (baseline)", row);
        sb.append("</table>\n<p class=\"note\">Overall = mean of the categories present; categories are subset accuracies "
                + "weighted as RewardBench does; an unparsed verdict counts 0.5. &ndash; = not evaluated.</p>\n");
        sb.append("<img alt=\"Judge accuracy per round\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(accuracyPng)).append("\">\n");
        var trained = r.rounds().stream().filter(x -> x.kept() != null).toList();
        if (!trained.isEmpty()) {
            var reasons = new java.util.LinkedHashSet<String>();
            for (RunReport.Row row : trained) reasons.addAll(row.dropped().keySet());
            sb.append("<h2>Training data per round</h2>\n<table><tr><th>Round</th><th>Kept</th>");
            for (String reason : reasons) sb.append("<th>Dropped: ").append(esc(reason)).append("</th>");
            sb.append("</tr>\n");
            for (RunReport.Row row : trained) {
                sb.append("<tr><td>").append(esc(MarkdownReport.label(row))).append("</td><td class=\"n\">").append(row.kept()).append("</td>");
                for (String reason : reasons) sb.append("<td class=\"n\">").append(row.dropped().getOrDefault(reason, 0L)).append("</td>");
                sb.append("</tr>\n");
            }
            sb.append("</table>\n");
        }
        sb.append("<img alt=\"Training examples per round\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(keptPng)).append("\">\n</body></html>\n");
        return sb.toString();
    }

    private static void scoreRow(StringBuilder sb, String label, RunReport.Row row) {
        sb.append("<tr><td>").append(esc(label)).append("</td><td class=\"n\">").append(MarkdownReport.pct(row.overall())).append("</td>");
        for (String c : MarkdownReport.CATEGORIES) {
            sb.append("<td class=\"n\">").append(MarkdownReport.pct(row.categories().get(c))).append("</td>");
        }
        sb.append("</tr>\n");
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
