package dev.selftaught.engine.load;

import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.model.ModelFormatException;
import dev.selftaught.engine.chat.ChatTemplate;
import dev.selftaught.engine.chat.JinjaChatTemplate;
import dev.selftaught.engine.chat.JinjaTemplate;
import dev.selftaught.engine.format.Checkpoint;
import dev.selftaught.engine.format.gguf.GgufCheckpoint;
import dev.selftaught.engine.format.hf.HfCheckpoint;
import dev.selftaught.engine.llama2c.Llama2cCheckpoint;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.engine.llama2c.Llama2cTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Opens a model from a path: a checkpoint file, or a directory holding one (an HF directory with
 * config.json and safetensors, a single *.gguf, or a llama2.c *.bin). The format is
 * recognised from the file's first bytes ({@link #detect}); each format is one branch of
 * {@link #load}, so adding a format means adding a {@link Format} constant, its detection rule
 * and its branch.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** Checkpoint formats the loader knows. */
    public enum Format {
        /** llama2.c legacy checkpoint ({@code *.bin}) with a {@code tok*.bin} beside it. */
        LLAMA2C,
        /** GGUF v2/v3 file (llama or qwen2 architecture) with its tokenizer and chat template inside. */
        GGUF,
        /** HF directory: config.json, *.safetensors, tokenizer.json / tokenizer_config.json. */
        HF
    }

    public static LoadedModel load(Path path) {
        if (!Files.exists(path)) throw new ModelFormatException(path + ": no such file or directory");
        if (Files.isDirectory(path) && HfCheckpoint.isHfDirectory(path)) return loadHf(path);
        Path file = Files.isDirectory(path) ? findCheckpoint(path) : path;
        return switch (detect(file)) {
            case LLAMA2C -> loadLlama2c(file);
            case GGUF -> loadGguf(file);
            case HF -> loadHf(file.toAbsolutePath().getParent());
        };
    }

    /** Picks the checkpoint inside a model directory: the only *.gguf, else the only llama2.c *.bin. */
    static Path findCheckpoint(Path dir) {
        List<Path> ggufs = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".gguf")).forEach(ggufs::add);
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot list directory: " + e.getMessage(), e);
        }
        if (ggufs.size() == 1) return ggufs.get(0);
        if (ggufs.size() > 1) {
            ggufs.sort(null);
            throw new ModelFormatException(dir + ": several GGUF files " + ggufs.stream().map(p -> p.getFileName().toString()).toList()
                    + "; name the file instead of the directory");
        }
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
        if (bins.isEmpty()) throw new ModelFormatException(dir + ": no model checkpoint found (expected an HF directory with config.json"
                + " and model.safetensors, a *.gguf file, or a llama2.c *.bin)");
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
        if (n >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') return Format.GGUF;
        String name = file.getFileName().toString();
        if (name.endsWith(".safetensors") || name.equals("config.json") || name.equals("model.safetensors.index.json")) return Format.HF;
        // llama2.c has no magic; its header is validated field by field when read.
        return Format.LLAMA2C;
    }

    private static LoadedModel loadGguf(Path file) {
        Checkpoint cp;
        try {
            cp = GgufCheckpoint.read(file);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (cp.tokenizer() == null) throw ModelFormatException.at(file, "has no tokenizer (tokenizer.ggml.model is missing)");
        return new LoadedModel(cp.config(), cp.weights(), cp.tokenizer(), chatTemplate(cp), List.of(file));
    }

    private static LoadedModel loadHf(Path dir) {
        Checkpoint cp;
        try {
            cp = HfCheckpoint.read(dir);
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot read: " + e.getMessage(), e);
        }
        if (cp.tokenizer() == null) throw ModelFormatException.at(dir, "has no tokenizer.json or tokenizer.model");
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> {
                String n = p.getFileName().toString();
                return Files.isRegularFile(p) && (n.endsWith(".safetensors") || n.endsWith(".json") || n.equals("tokenizer.model"));
            }).sorted().forEach(files::add);
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot list directory: " + e.getMessage(), e);
        }
        files.remove(dir.resolve("config.json"));
        files.add(0, dir.resolve("config.json"));
        return new LoadedModel(cp.config(), cp.weights(), cp.tokenizer(), chatTemplate(cp), files);
    }

    /** The checkpoint's Jinja template; one that cannot be parsed fails when rendered, not at load. */
    private static ChatTemplate chatTemplate(Checkpoint cp) {
        if (cp.chatTemplate() == null) return null;
        Tokenizer t = cp.tokenizer();
        String bos = t.bos() >= 0 ? new String(t.tokenBytes(t.bos()), java.nio.charset.StandardCharsets.UTF_8) : "";
        String eos = t.eos() >= 0 ? new String(t.tokenBytes(t.eos()), java.nio.charset.StandardCharsets.UTF_8) : "";
        if (t.vocabulary().isPresent()) {
            var v = t.vocabulary().get();
            if (v.bos() >= 0) bos = v.tokens().get(v.bos());
            if (v.eos() >= 0) eos = v.tokens().get(v.eos());
        }
        try {
            return new JinjaChatTemplate(cp.chatTemplate(), bos, eos);
        } catch (JinjaTemplate.JinjaException e) {
            String msg = "the model's chat template cannot be used: " + e.getMessage();
            return (turns, gen) -> { throw new ModelFormatException(msg); };
        }
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
