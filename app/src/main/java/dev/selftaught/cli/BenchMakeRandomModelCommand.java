package dev.selftaught.cli;

import dev.selftaught.data.InputError;
import dev.selftaught.engine.llama2c.Llama2cCheckpoint;
import dev.selftaught.engine.llama2c.Llama2cTokenizer;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code selftaught bench make-random-model}: writes a llama2.c checkpoint with random weights
 * (and a synthetic tok*.bin) for speed benchmarks. The defaults are the ~15M-parameter shape of
 * llama2.c's stories15M.
 */
@Command(name = "make-random-model", mixinStandardHelpOptions = true,
        description = {"Write a llama2.c checkpoint with random weights and a synthetic tokenizer, for decode benchmarks.",
                "Defaults give the ~15M-parameter stories15M shape."})
public final class BenchMakeRandomModelCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"--output", "--out"}, required = true, paramLabel = "DIR", description = "Directory to write model.bin and tok<vocab>.bin into (created if missing); --out is an alias.")
    Path out;

    @Option(names = "--dim", defaultValue = "288", description = "Model width. Default: ${DEFAULT-VALUE}.")
    int dim;

    @Option(names = "--hidden-dim", defaultValue = "768", description = "SwiGLU inner width. Default: ${DEFAULT-VALUE}.")
    int hidden;

    @Option(names = "--layers", defaultValue = "6", description = "Transformer blocks. Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--heads", defaultValue = "6", description = "Query heads. Default: ${DEFAULT-VALUE}.")
    int heads;

    @Option(names = "--kv-heads", defaultValue = "6", description = "Key/value heads. Default: ${DEFAULT-VALUE}.")
    int kvHeads;

    @Option(names = "--vocab", defaultValue = "32000", description = "Vocabulary size (at least 259). Default: ${DEFAULT-VALUE}.")
    int vocab;

    @Option(names = "--seq-len", defaultValue = "256", description = "Context length. Default: ${DEFAULT-VALUE}.")
    int seqLen;

    /** Seeds the random weights. */
    @picocli.CommandLine.Mixin SeedOption seed = new SeedOption(1);

    @Override
    public Integer call() {
        LlamaConfig c;
        try {
            c = new LlamaConfig(dim, hidden, layers, heads, kvHeads, vocab, seqLen, 1e-5f, 10000f, null, true, false);
        } catch (IllegalArgumentException e) {
            throw new InputError("bad model shape: " + e.getMessage());
        }
        if (vocab < 259) throw new InputError("--vocab must be at least 259 (3 control tokens + 256 byte tokens), got " + vocab);
        try {
            Files.createDirectories(out);
            LlamaWeights w = new LlamaWeights(c).initRandom(seed.value());
            Llama2cCheckpoint.write(w, out.resolve("model.bin"));
            Llama2cTokenizer.synthetic(vocab).write(out.resolve("tok" + vocab + ".bin"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the model into " + out + ": " + e.getMessage(), e);
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%,d parameters) and %s%n", out.resolve("model.bin"),
                c.parameterCount(), out.resolve("tok" + vocab + ".bin"));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
