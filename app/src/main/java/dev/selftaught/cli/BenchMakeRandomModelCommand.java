package dev.selftaught.cli;

import dev.selftaught.data.InputError;
import dev.selftaught.engine.format.gguf.GgmlType;
import dev.selftaught.engine.format.gguf.GgufCheckpoint;
import dev.selftaught.engine.llama2c.Llama2cCheckpoint;
import dev.selftaught.engine.format.hf.SentencePieceModelFile;
import dev.selftaught.engine.tokenizer.Tokenizer;
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
        description = {"Write a model with random weights for speed benchmarks: a llama2.c checkpoint with a synthetic tokenizer,",
                "or with --gguf-type a GGUF file (any Llama shape, matrices in F32, F16, BF16, Q8_0, Q4_0 or Q4_K) that llama.cpp also loads.",
                "Defaults give the ~15M-parameter stories15M shape; TinyLlama-1.1B is --dim 2048 --hidden-dim 5632 --layers 22",
                "--heads 32 --kv-heads 4 --vocab 32000 --seq-len 2048 --tokenizer ../shared/data/llama2_tokenizer/tokenizer.model."})
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

    @Option(names = "--gguf-type", paramLabel = "TYPE",
            description = "Write DIR/model-TYPE.gguf (untied output head, every matrix in TYPE: F32, F16, BF16, Q8_0, Q4_0, Q4_K) instead of a llama2.c checkpoint.")
    String ggufType;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "SentencePiece tokenizer.model to put into the GGUF file (required with --gguf-type; its size must not exceed --vocab).")
    Path tokenizer;

    @Override
    public Integer call() {
        LlamaConfig c;
        try {
            c = new LlamaConfig(dim, hidden, layers, heads, kvHeads, vocab, seqLen, 1e-5f, 10000f, null, true, false);
        } catch (IllegalArgumentException e) {
            throw new InputError("bad model shape: " + e.getMessage());
        }
        if (vocab < 259) throw new InputError("--vocab must be at least 259 (3 control tokens + 256 byte tokens), got " + vocab);
        if (ggufType != null) return writeGguf(c);
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

    private int writeGguf(LlamaConfig tied) {
        GgmlType type;
        try {
            type = GgmlType.valueOf(ggufType.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            type = null;
        }
        if (type == null || type == GgmlType.Q6_K) throw new InputError("--gguf-type must be one of F32, F16, BF16, Q8_0, Q4_0, Q4_K, got " + ggufType);
        if (tied.dim() % type.blockSize != 0 || tied.hiddenDim() % type.blockSize != 0) {
            throw new InputError("--gguf-type " + type + " needs --dim and --hidden-dim to be multiples of " + type.blockSize);
        }
        if (tokenizer == null) throw new InputError("--gguf-type needs --tokenizer (a SentencePiece tokenizer.model, e.g. ../shared/data/llama2_tokenizer/tokenizer.model)");
        LlamaConfig c = new LlamaConfig(tied.dim(), tied.hiddenDim(), tied.nLayers(), tied.nHeads(), tied.nKvHeads(), tied.vocabSize(),
                tied.maxSeqLen(), tied.normEps(), tied.ropeTheta(), null, false, false);
        Path file = out.resolve("model-" + type + ".gguf");
        try {
            Files.createDirectories(out);
            Tokenizer tok = SentencePieceModelFile.read(tokenizer);
            if (tok.vocabSize() > vocab) throw new InputError(tokenizer + " has " + tok.vocabSize() + " tokens, more than --vocab " + vocab);
            long t0 = System.nanoTime();
            GgufCheckpoint.writeRandom(file, c, tok, type, seed.value(), "random-" + c.parameterCount() / 1_000_000 + "M-" + type);
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%,d parameters, %,d bytes) in %.1f s%n", file, c.parameterCount(),
                    Files.size(file), (System.nanoTime() - t0) / 1e9);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the model into " + out + ": " + e.getMessage(), e);
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
