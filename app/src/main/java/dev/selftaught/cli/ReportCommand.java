package dev.selftaught.cli;

import dev.selftaught.data.InputError;
import dev.selftaught.report.ReportWriter;
import dev.selftaught.report.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code selftaught report}: render a run's report.json as Markdown, PNG charts and one HTML page. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Render RUN_DIR/report.json as report.md (the paper's table), charts/accuracy.png, charts/kept.png "
                + "and a self-contained report.html. report.json itself is left as it is.")
public final class ReportCommand implements Callable<Integer> {

    /** The run directory holding report.json. */
    @picocli.CommandLine.Mixin RunDirOption run;

    @Option(names = "--output", paramLabel = "DIR", description = "Where to write the rendered files. Default: the run directory.")
    Path output;

    @Option(names = "--title", paramLabel = "TEXT", description = "Heading of the report. Default: the title in report.json, else \"Self-taught evaluator run\".")
    String title;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Path runDir = run.dir();
        Path json = runDir.resolve(ReportWriter.JSON);
        if (!Files.isRegularFile(json)) {
            throw new InputError(json + ": no report.json; run 'selftaught run' first (it writes one), or point --run-dir at a finished run");
        }
        RunReport r = RunReport.read(json);
        if (title != null) r = new RunReport(title, r.rounds(), r.baselines());
        Path out = output != null ? output : runDir;
        ReportWriter.writeRendered(r, out);
        spec.commandLine().getOut().printf("rendered %d rounds and %d baselines: %s, %s, %s%n", r.rounds().size(), r.baselines().size(),
                out.resolve(ReportWriter.MARKDOWN), out.resolve(ReportWriter.HTML), out.resolve("charts"));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
