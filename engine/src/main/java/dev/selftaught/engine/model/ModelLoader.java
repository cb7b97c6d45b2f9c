package dev.selftaught.engine.model;

import dev.selftaught.engine.llama2c.Llama2cCheckpoint;
import dev.selftaught.engine.llama2c.Llama2cTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Opens a model from a path: a checkpoint file, or a directory holding one. The format is
 * recognised from the file's first bytes ({@link #detect}); each format is one branch of
 * {@link #load}, so adding a format means adding a {@link Format} constant, its detection rule
 * and its branch.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** Checkpoint formats the loader knows. */
    public enum Format {
        /** llama2.c legacy checkpoint ({@code *.bin}) with a {@code tok*.bin} beside it. */
        LLAMA2C
    }

    public static LoadedModel load(Path path) {
        if (!Files.exists(path)) throw new ModelFormatException(path + ": no such file or directory");
        Path file = Files.isDirectory(path) ? findCheckpoint(path) : path;
        return switch (detect(file)) {
            case LLAMA2C -> loadLlama2c(file);
        };
    }

    /** Picks the checkpoint inside a model directory. */
    static Path findCheckpoint(Path dir) {
        List<Path> bins = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isRegularFile).forEach(p -> {
                String n = p.getFileName().toString();
                if (n.endsWith(".bin") && !n.startsWith("tok")) bins.add(p);
            });
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot list directory: " + e.getMessage(), e);
        }
        if (bins.size() == 1) return bins.get(0);
        if (bins.isEmpty()) throw new ModelFormatException(dir + ": no model checkpoint found (expected a llama2.c *.bin)");
        bins.sort(null);
        throw new ModelFormatException(dir + ": several checkpoints " + bins.stream().map(p -> p.getFileName().toString()).toList()
                + "; name the file instead of the directory");
    }

    /** Recognises the format of a checkpoint file from its content. */
    public static Format detect(Path file) {
        byte[] head = new byte[8];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (n >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') {
            throw ModelFormatException.at(file, "GGUF files are not supported by this build");
        }
        // llama2.c has no magic; its header is validated field by field when read.
        return Format.LLAMA2C;
    }

    private static LoadedModel loadLlama2c(Path file) {
        LlamaWeights w = Llama2cCheckpoint.read(file);
        Path tokFile = findLlama2cTokenizer(file, w.config.vocabSize());
        Llama2cTokenizer tok = Llama2cTokenizer.read(tokFile);
        if (tok.vocabSize() != w.config.vocabSize()) {
            throw ModelFormatException.at(tokFile, "tokenizer has " + tok.vocabSize() + " tokens but the model "
                    + file.getFileName() + " has a vocabulary of " + w.config.vocabSize());
        }
        return new LoadedModel(w.config, w, tok, null, List.of(file, tokFile));
    }

    /**
     * The llama2.c tokenizer beside a checkpoint: {@code tok<vocab>.bin} if present, else
     * {@code tokenizer.bin}, else the only {@code tok*.bin}.
     */
    static Path findLlama2cTokenizer(Path checkpoint, int vocab) {
        Path dir = checkpoint.toAbsolutePath().getParent();
        Path exact = dir.resolve("tok" + vocab + ".bin");
        if (Files.isRegularFile(exact)) return exact;
        Path plain = dir.resolve("tokenizer.bin");
        if (Files.isRegularFile(plain)) return plain;
        List<Path> toks = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith("tok") && n.endsWith(".bin") && Files.isRegularFile(p);
            }).forEach(toks::add);
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot list directory: " + e.getMessage(), e);
        }
        if (toks.size() == 1) return toks.get(0);
        throw new ModelFormatException(checkpoint + ": no llama2.c tokenizer beside it (looked for tok" + vocab
                + ".bin, tokenizer.bin" + (toks.isEmpty() ? "" : ", found several: " + toks) + ")");
    }
}
