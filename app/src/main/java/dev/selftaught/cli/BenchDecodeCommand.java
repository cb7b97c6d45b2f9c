package dev.selftaught.cli;

import dev.selftaught.data.InputError;
import dev.selftaught.engine.bench.DecodeBenchmark;
import dev.selftaught.engine.kernel.Kernels;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.model.ModelFormatException;
import dev.selftaught.engine.load.ModelLoader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code selftaught bench decode}: decode throughput of the embedded engine. Every stream starts
 * from BOS and decodes greedily for exactly {@code --tokens} tokens (EOS does not stop it, so each
 * run does the same work); all streams are one batch. The last line is {@code tokens/s: X}.
 */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = {"Measure the embedded engine's decode speed in tokens per second (all streams together).",
                "Each stream starts from BOS and decodes greedily for exactly --tokens tokens; the best of --runs timed runs is reported.",
                "The last line printed is 'tokens/s: X'."})
public final class BenchDecodeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "SPEC",
            description = "Model to run: embedded:PATH (or just PATH), a checkpoint file or its directory.")
    String model;

    @Option(names = "--tokens", paramLabel = "N", defaultValue = "256",
            description = "New tokens per stream (at most the model's context minus one). Default: ${DEFAULT-VALUE}.")
    int tokens;

    @Option(names = "--streams", paramLabel = "S", defaultValue = "1",
            description = "Sequences decoded together in one batch. Default: ${DEFAULT-VALUE}.")
    int streams;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "0",
            description = "Compute threads (0 = all cores). Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--runs", paramLabel = "R", defaultValue = "3",
            description = "Timed runs after the warm-up; the best is reported (other load on the machine only slows runs). Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "3",
            description = "Untimed runs until this many seconds have passed, so the JIT compiles the kernels first. Default: ${DEFAULT-VALUE}.")
    double warmup;

    @Override
    public Integer call() {
        if (tokens < 1) throw new InputError("--tokens must be >= 1, got " + tokens);
        if (streams < 1) throw new InputError("--streams must be >= 1, got " + streams);
        if (threads < 0) throw new InputError("--threads must be >= 0, got " + threads);
        if (runs < 1) throw new InputError("--runs must be >= 1, got " + runs);
        if (warmup < 0) throw new InputError("--warmup must be >= 0, got " + warmup);
        String location = model.startsWith("embedded:") ? model.substring("embedded:".length()) : model;
        if (location.contains("://")) throw new InputError("--model must be an embedded model (embedded:PATH), got " + model);
        Path path = Path.of(location);
        if (!Files.exists(path)) throw new InputError("model not found: " + path.toAbsolutePath());
        LoadedModel m;
        try {
            m = ModelLoader.load(path);
        } catch (ModelFormatException e) {
            throw new InputError("cannot load model: " + e.getMessage());
        }
        if (tokens >= m.config().maxSeqLen()) {
            throw new InputError("--tokens " + tokens + " does not fit the model's context of " + m.config().maxSeqLen() + " (at most " + (m.config().maxSeqLen() - 1) + ")");
        }
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        int nThreads = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        err.printf(Locale.ROOT, "model %s: %,d parameters, dim %d, %d layers, vocab %d; %d stream(s) x %d tokens, %d thread(s), %d-lane vectors%n",
                path, m.config().parameterCount(), m.config().dim(), m.config().nLayers(), m.config().vocabSize(),
                streams, tokens, nThreads, Kernels.lanes());
        err.flush();
        DecodeBenchmark.Result r = DecodeBenchmark.run(m.weights(), m.tokenizer().bos(), tokens, streams, nThreads, warmup, runs,
                line -> { err.println(line); err.flush(); });
        int show = Math.min(16, r.firstStream().length);
        out.println("first tokens of stream 0: " + Arrays.toString(Arrays.copyOf(r.firstStream(), show)));
        out.printf(Locale.ROOT, "tokens/s: %.1f%n", r.tokensPerSecond());
        out.flush();
        return 0;
    }
}
