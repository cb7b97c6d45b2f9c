package dev.selftaught.microworld;

import dev.selftaught.engine.llama2c.Llama2cCheckpoint;
import dev.selftaught.engine.llama2c.Llama2cTokenizer;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.train.SftPlan;
import dev.selftaught.engine.train.TrainOptions;
import dev.selftaught.engine.train.Trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Pre-trains the micro-world seed from scratch: corpus → BPE vocabulary → a Llama model trained
 * on every token of every conversation → a llama2.c checkpoint ({@code model.bin} +
 * {@code tok<V>.bin}) in {@code <cache>/microworld-seed-<recipe hash>/}. The directory appears
 * atomically when training is complete; an interrupted run resumes from its trainer state.
 */
public final class SeedPretrainer {

    /** What {@link #ensure} did. */
    public record Result(Path dir, boolean cached, double seconds, long steps, double finalLoss, long tokens) {
        /** The model spec of the seed. */
        public String spec() { return "embedded:" + dir.toAbsolutePath(); }
    }

    private SeedPretrainer() {}

    /** {@code $SELFTAUGHT_CACHE}, else {@code $XDG_CACHE_HOME/selftaught}, else {@code ~/.cache/selftaught}. */
    public static Path defaultCacheRoot() {
        String own = System.getenv("SELFTAUGHT_CACHE");
        if (own != null && !own.isBlank()) return Path.of(own);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "selftaught");
        return Path.of(System.getProperty("user.home"), ".cache", "selftaught");
    }

    public static Path dirFor(Path cacheRoot, SeedRecipe r) { return cacheRoot.resolve("microworld-seed-" + r.hash()); }

    /** Returns the cached seed, or trains it first. */
    public static Result ensure(SeedRecipe recipe, Path cacheRoot, boolean force, PrintStream err) {
        Path dir = dirFor(cacheRoot, recipe);
        if (!force && Files.isRegularFile(dir.resolve("model.bin")) && Files.isRegularFile(dir.resolve("recipe.json"))) {
            return new Result(dir, true, 0, 0, Double.NaN, 0);
        }
        return train(recipe, dir, err);
    }

    /**
     * The training examples: the whole conversation after BOS, encoded as one text (the prompt
     * rendered with the chat template, then the reply, then EOS). Pieces never cross a newline,
     * and the prompt ends with one, so the prompt's tokens are exactly what the embedded backend
     * feeds at inference and the reply's tokens are what it should generate next.
     */
    public static List<SftPlan.Example> examples(List<Corpus.Conversation> corpus, Llama2cTokenizer tok) {
        List<SftPlan.Example> out = new ArrayList<>(corpus.size());
        int[] bos = {tok.bos()};
        for (Corpus.Conversation c : corpus) {
            int[] ids = tok.encode(text(c), true);
            int[] all = Arrays.copyOfRange(ids, 1, ids.length + 1);
            all[all.length - 1] = tok.eos();
            out.add(new SftPlan.Example(bos, all));
        }
        return out;
    }

    /** A conversation as one training text: the rendered prompt followed by the reply. */
    public static String text(Corpus.Conversation c) { return MicroChat.prompt(c.prompt()) + c.target(); }

    /** Learns the vocabulary from prompts and replies separately, as they are encoded separately. */
    public static Llama2cTokenizer tokenizer(List<Corpus.Conversation> corpus, SeedRecipe r) {
        List<String> docs = new ArrayList<>();
        for (Corpus.Conversation c : corpus.subList(0, Math.min(r.tokenizerDocs(), corpus.size()))) {
            docs.add(text(c));
        }
        return BpeTrainer.train(docs, r.vocab());
    }

    static Result train(SeedRecipe r, Path dir, PrintStream err) {
        Set<String> heldOut = Benchmark.heldOutInstructions();
        err.printf("pretrain: building the corpus (%d conversations, seed %d)%n", r.conversations(), r.seed());
        return train(r, Corpus.build(r.seed(), r.conversations(), heldOut), dir, err);
    }

    /**
     * Pre-trains on a given corpus (e.g. a subset of the kinds, for a test seed that must learn
     * the pipeline's output formats in seconds) into {@code dir}; {@code r.conversations()} is not used.
     */
    public static Result train(SeedRecipe r, List<Corpus.Conversation> corpus, Path dir, PrintStream err) {
        long t0 = System.nanoTime();
        try {
            Path parent = dir.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path state = parent.resolve(dir.getFileName() + ".state");
            err.printf("pretrain: learning a %d-piece BPE vocabulary from %d conversations%n", r.vocab(), r.tokenizerDocs());
            Llama2cTokenizer tok = tokenizer(corpus, r);
            if (tok.vocabSize() != r.vocab()) {
                throw new IllegalStateException("the recipe's vocabulary of " + r.vocab() + " cannot be met: the corpus sample gives "
                        + tok.vocabSize() + " pieces (bytes and characters alone need " + (tok.vocabSize() > r.vocab() ? "more" : "fewer") + ")");
            }
            List<SftPlan.Example> ex = examples(corpus, tok);
            long tokens = ex.stream().mapToLong(SftPlan.Example::length).sum();
            SftPlan plan = new SftPlan(ex, r.context(), r.batchTokens(), r.epochs(), r.seed());
            err.printf("pretrain: %,d tokens, %d steps of ~%d tokens, model %s (%,d parameters), %d threads%n",
                    tokens, plan.size(), r.batchTokens(), r.config(), r.config().parameterCount(), r.threads());
            LlamaWeights w = new LlamaWeights(r.config()).initRandom(r.seed());
            TrainOptions opt = TrainOptions.defaults().withLr(r.lr()).withWarmup(Math.max(1, Math.min(100, plan.size() / 10)))
                    .withThreads(r.threads()).withSeed(r.seed()).withCheckpointEvery(100).withWeightDecay(0.05f);
            Trainer.Result res;
            try (Trainer trainer = new Trainer(w, opt)) {
                res = trainer.train(plan, null, null, state, new Trainer.Listener() {
                    long last;
                    @Override public void onStep(Trainer.Step s) {
                        long now = System.nanoTime();
                        if (now - last < 3_000_000_000L && s.step() != s.totalSteps()) return;
                        last = now;
                        err.printf("pretrain: step %d/%d loss %.3f lr %.2e %,.0f tok/s ETA %s%n", s.step(), s.totalSteps(),
                                s.loss(), s.lr(), s.tokensPerSecond(), eta(s.etaSeconds()));
                    }
                });
            }
            Path tmp = Files.createTempDirectory(parent, dir.getFileName() + ".tmp");
            Llama2cCheckpoint.write(w, tmp.resolve("model.bin"));
            tok.write(tmp.resolve("tok" + r.vocab() + ".bin"));
            double secs = (System.nanoTime() - t0) / 1e9;
            Files.writeString(tmp.resolve("recipe.json"), recipeJson(r, res, tokens, secs), StandardCharsets.UTF_8);
            if (Files.exists(dir)) deleteTree(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(state);
            err.printf("pretrain: done in %.0f s, final loss %.3f; seed in %s%n", secs, res.finalLoss(), dir);
            return new Result(dir, false, secs, res.steps(), res.finalLoss(), tokens);
        } catch (IOException e) {
            throw new UncheckedIOException("pretrain: cannot write the seed into " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String recipeJson(SeedRecipe r, Trainer.Result res, long tokens, double secs) {
        return "{\n  \"recipe\": \"" + r.canonical() + "\",\n  \"hash\": \"" + r.hash() + "\",\n  \"steps\": " + res.steps()
                + ",\n  \"final_loss\": " + res.finalLoss() + ",\n  \"corpus_tokens\": " + tokens
                + ",\n  \"seconds\": " + Math.round(secs) + ",\n  \"chat_format\": \"engine default (<|user|> ... <|assistant|>), reply then EOS\"\n}\n";
    }

    static String eta(double s) {
        if (!Double.isFinite(s)) return "?";
        long t = Math.round(s);
        return t >= 60 ? (t / 60) + "m" + String.format("%02d", t % 60) + "s" : t + "s";
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
