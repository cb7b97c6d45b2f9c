package dev.selftaught.cli;

import dev.selftaught.data.DataFormat;
import dev.selftaught.data.InputError;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelSpec;
import dev.selftaught.llm.ModelStats;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.generate.GenerateInput;
import dev.selftaught.generate.GenerateJob;
import dev.selftaught.store.CachedModel;
import dev.selftaught.store.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code selftaught generate}: batch generation through the durable call store, resumable. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Send every row of a dataset file to a model and write the completions as JSONL, in input order.",
                "Input rows: {\"id\": ..., \"prompt\": \"...\"} or {\"id\": ..., \"messages\": [{\"role\": ..., \"content\": ...}, ...]} (id optional).",
                "Output rows: id, outputs (n strings), finish_reasons, usage; a row whose call failed has 'error' instead.",
                "Every sample is stored in RUN_DIR/calls.sqlite before it counts: kill the run at any time and run the same command again to resume without repeating a call."})
public final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "SPEC",
            description = "Model spec: http(s)://HOST:PORT/v1[#NAME] (several comma-separated) or SCHEME:LOCATION such as embedded:PATH.")
    String model;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "Input rows: .jsonl, .json, .csv or .parquet, each optionally gzipped (.gz).")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Output rows (.jsonl or .jsonl.gz); written to a temporary file and renamed into place when complete.")
    Path output;

    @Option(names = "--n", paramLabel = "N", defaultValue = "1", description = "Completions per row. Default: ${DEFAULT-VALUE}.")
    int n;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "1.0", description = "Sampling temperature (0 = greedy). Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1.0", description = "Nucleus sampling mass in (0, 1] (1 = off). Default: ${DEFAULT-VALUE}.")
    double topP;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Top-k sampling (0 = off; sent only when set). Default: ${DEFAULT-VALUE}.")
    int topK;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0", description = "Min-p sampling in [0, 1) (0 = off; sent only when set). Default: ${DEFAULT-VALUE}.")
    double minP;

    @Option(names = "--max-tokens", paramLabel = "M", defaultValue = "512", description = "Most new tokens per completion. Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--stop", paramLabel = "S", description = "A stop string (repeat the option for several).")
    List<String> stop = new ArrayList<>();

    @Option(names = "--seed", paramLabel = "S",
            description = "Base seed. With a seed, sample i of every row is requested on its own with a seed derived from (S, i), so results do not depend on what was already stored. Default: unseeded.")
    Long seed;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "Run directory holding the call store and the lock. Default: OUTPUT.run next to the output.")
    Path runDir;

    @Option(names = "--retry-failed", description = "Retry the calls recorded as failed in the store (without it, they are reported failed again without a call).")
    boolean retryFailed;

    @Mixin
    ModelOptionsMixin modelOptions;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        SamplingParams params;
        try {
            params = new SamplingParams(temperature, topP, topK, minP, maxTokens, stop, seed, n, Map.of());
        } catch (IllegalArgumentException e) {
            throw new InputError("bad sampling option: " + e.getMessage());
        }
        ModelOptions options = modelOptions.toOptions();
        ModelSpec modelSpec = ModelSpec.parse(model);
        if (DataFormat.of(output).kind() != DataFormat.Kind.JSONL) {
            throw new InputError(output + ": --output must be a .jsonl (or .jsonl.gz) file");
        }
        GenerateInput in = new GenerateInput(input);
        long rows = in.validate(); // all bad input is reported before any call or output
        Path run = runDir != null ? runDir : output.resolveSibling(output.getFileName() + ".run");
        int inFlight = options.concurrency() * modelSpec.endpointCount();
        long start = System.nanoTime();
        try (RunDirectory dir = RunDirectory.open(run);
             LanguageModel base = ModelFactory.open(modelSpec, options);
             Progress progress = Progress.onStderr("generate", rows)) {
            // Not a resource itself: closing it would close `base` a second time.
            CachedModel cached = new CachedModel(base, dir.callStore(), retryFailed);
            GenerateJob.Summary s = new GenerateJob(in, output, params, inFlight).run(cached, new GenerateJob.Listener() {
                public void fromStore() { progress.skip(1); }
                public void answered(long tokens) { progress.advance(1, tokens); }
                public void failed() { progress.advance(1, 0); progress.error(1); }
            });
            progress.close();
            ModelStats st = cached.stats();
            double secs = (System.nanoTime() - start) / 1e9;
            err.printf(Locale.ROOT, "generate: %d rows (%d samples) -> %s in %.1fs; %d samples from the store, %d model calls, %d retries, %d failed calls; tokens this run: %d prompt + %d completion%s%n",
                    s.rows(), s.samples(), output, secs, st.samplesFromStore(), st.calls(), st.retries(), st.failures(),
                    st.promptTokens(), st.completionTokens(), st.cost() == null ? "" : String.format(Locale.ROOT, "; cost %.4f", st.cost()));
            err.flush();
            if (s.failedRows() > 0) {
                err.println("selftaught: " + s.failedRows() + " of " + s.rows() + " rows failed (each has an 'error' field in "
                        + output + "); fix the cause and rerun with --retry-failed to retry only those.");
                err.flush();
                return 1;
            }
            return 0;
        }
    }
}
