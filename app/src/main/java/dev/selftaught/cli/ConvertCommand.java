package dev.selftaught.cli;

import dev.selftaught.data.DataFormat;
import dev.selftaught.data.Datasets;
import dev.selftaught.data.InputError;
import dev.selftaught.data.RecordReader;
import dev.selftaught.data.RecordWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code selftaught convert IN OUT}: copies a dataset between formats, validating every record. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a dataset between formats: reads " + DataFormat.SUPPORTED
                + "; writes .jsonl, .jsonl.gz or .parquet (the format comes from each file name).",
                "The output appears only when every record was read: a bad record is reported as FILE:LINE and "
                        + "nothing is written (an existing OUT is left as it was)."})
public final class ConvertCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "Dataset to read.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Dataset to write (.jsonl, .jsonl.gz or .parquet).")
    Path out;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "Copy only the first N records (0 = all). Default: ${DEFAULT-VALUE}.")
    long limit;

    @Option(names = "--force", description = "Replace OUT if it exists.")
    boolean force;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (limit < 0) throw new InputError("--limit must be >= 0, got " + limit);
        if (Files.exists(out) && !force) throw new InputError(out + ": exists; pass --force to replace it");
        if (in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new InputError(out + ": is the input file; write to another file");
        }
        long t0 = System.nanoTime();
        long lastReport = t0;
        try (RecordReader r = Datasets.read(in); RecordWriter w = Datasets.writer(out)) {
            while (r.hasNext() && (limit == 0 || w.count() < limit)) {
                w.write(r.next().json());
                long now = System.nanoTime();
                if (now - lastReport > 2_000_000_000L) { // progress every 2 s on big files
                    lastReport = now;
                    err.printf("convert: %,d records (%,.0f/s)%n", w.count(), w.count() / ((now - t0) / 1e9));
                    err.flush();
                }
            }
            w.commit();
            double secs = (System.nanoTime() - t0) / 1e9;
            err.printf("convert: wrote %,d records to %s in %.1fs%n", w.count(), out, secs);
            err.flush();
        }
        return 0;
    }
}
