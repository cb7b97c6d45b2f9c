package dev.selftaught.microworld;

import dev.selftaught.engine.model.LlamaConfig;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Everything that determines the seed checkpoint bit for bit. Its hash names the cache directory,
 * so changing any field (or {@link #WORLD_VERSION} when the world's texts change) trains a new seed.
 *
 * @param dim            model width
 * @param hiddenDim      SwiGLU width
 * @param layers         transformer blocks
 * @param heads          attention heads (no grouped-query attention at this size)
 * @param vocab          BPE vocabulary size
 * @param context        longest sequence (prompt + reply) in tokens
 * @param conversations  corpus size
 * @param tokenizerDocs  conversations the BPE vocabulary is learned from
 * @param epochs         passes over the corpus
 * @param batchTokens    tokens per optimizer step
 * @param lr             peak learning rate (warm-up then cosine decay to 10%)
 * @param seed           corpus, initialisation and shuffling seed
 * @param threads        trainer threads (results do not depend on it; the resume fingerprint does)
 */
public record SeedRecipe(int dim, int hiddenDim, int layers, int heads, int vocab, int context, int conversations,
                         int tokenizerDocs, int epochs, int batchTokens, float lr, long seed, int threads) {

    /** Bumped whenever the world's generators, prompts or corpus mix change meaning. */
    public static final int WORLD_VERSION = 2;

    /** The seed of the quick demo (and of CI): about a minute of pre-training on 2 idle cores. */
    public static SeedRecipe standard() {
        return new SeedRecipe(128, 352, 4, 4, 1024, 192, 16_000, 3000, 1, 4096, 2e-3f, 1, 2);
    }

    /**
     * The standard model trained on ten times the corpus (5.6M tokens): the seed of the full
     * demo. Ten times the pre-training time of the standard seed (about 11 minutes on 2 cores).
     */
    public static SeedRecipe large() {
        return new SeedRecipe(128, 352, 4, 4, 1024, 192, 160_000, 3000, 1, 4096, 2e-3f, 1, 2);
    }

    /** A smaller, faster seed for tests and CI smoke runs. */
    public static SeedRecipe tiny() {
        return new SeedRecipe(64, 176, 2, 2, 512, 160, 3000, 800, 1, 2048, 3e-3f, 1, 2);
    }

    public LlamaConfig config() {
        return LlamaConfig.small(dim, hiddenDim, layers, heads, heads, vocab, context);
    }

    /** Canonical text of the recipe (with the world version). */
    public String canonical() { return "world" + WORLD_VERSION + ":" + this; }

    /** First 12 hex digits of the SHA-256 of {@link #canonical()}. */
    public String hash() {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(canonical().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
