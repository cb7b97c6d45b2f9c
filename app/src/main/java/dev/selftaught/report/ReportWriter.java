package dev.selftaught.report;

import dev.selftaught.data.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes every form of a run report into a directory, each file atomically:
 * {@code report.json}, {@code report.md}, {@code charts/accuracy.png}, {@code charts/kept.png}
 * and {@code report.html} (self-contained: the charts are embedded).
 */
public final class ReportWriter {

    private ReportWriter() {}

    public static final String JSON = "report.json", MARKDOWN = "report.md", HTML = "report.html";
    public static final String ACCURACY_PNG = "charts/accuracy.png", KEPT_PNG = "charts/kept.png";

    public static void write(RunReport report, Path dir) {
        try {
            Files.createDirectories(dir);
            AtomicFiles.write(dir.resolve(JSON),
                    RunReport.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(report.toJson()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + dir, e);
        }
        writeRendered(report, dir);
    }

    /** Everything but report.json: for re-rendering a report.json that another tool wrote. */
    public static void writeRendered(RunReport report, Path dir) {
        try {
            Files.createDirectories(dir.resolve("charts"));
            byte[] accuracy = Charts.accuracyChart(report);
            byte[] kept = Charts.keptChart(report);
            AtomicFiles.write(dir.resolve(MARKDOWN), MarkdownReport.render(report).getBytes(StandardCharsets.UTF_8));
            AtomicFiles.write(dir.resolve(ACCURACY_PNG), accuracy);
            AtomicFiles.write(dir.resolve(KEPT_PNG), kept);
            AtomicFiles.write(dir.resolve(HTML), HtmlReport.render(report, accuracy, kept).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + dir, e);
        }
    }
}
