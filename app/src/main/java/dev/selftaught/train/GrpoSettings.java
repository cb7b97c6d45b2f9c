package dev.selftaught.train;

import dev.selftaught.data.DidYouMean;
import dev.selftaught.data.InputError;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Settings of GRPO training ({@code train.settings} with {@code train.method: grpo}, or the
 * {@code grpo} command's options), typed, defaults defined here once; unknown keys are refused with
 * the nearest known one suggested. The optimizer keys mean what they mean for SFT
 * ({@link EmbeddedTrainSettings}); the others are GRPO's own.
 *
 * @param groupSize       judgments sampled per pair and order (G)
 * @param pairsPerStep    pairs per step (each in both orders: 2 × G samples per pair)
 * @param epochs          passes over the pairs
 * @param updatesPerBatch optimizer steps per batch of samples (μ; 1 = strictly on-policy, the ratio is then 1)
 * @param clip            ε of the ratio clipping
 * @param klBeta          β of the k3 KL term to the reference (the starting model)
 * @param consistency     weight λ of the position-consistency bonus: a sample earns λ more when the
 *                        same-index sample of the other order is also correct (J1's position-bias term)
 * @param temperature     sampling temperature (1 = the trained distribution itself)
 * @param maxTokens       most tokens per sampled judgment
 * @param batchTokens     tokens per training micro-batch (rows × padded length)
 * @param decodeSequences sequences the batched decoder runs together
 */
public record GrpoSettings(int groupSize, int pairsPerStep, int epochs, int updatesPerBatch, double clip, double klBeta,
                           double consistency, double temperature, int maxTokens, int batchTokens, int decodeSequences,
                           double lr, int warmup, double finalLrRatio, double weightDecay, double gradClip, long seed,
                           Integer threads, int evalEvery, int checkpointEvery, String dtype) {

    public static final List<String> KEYS = List.of("group_size", "pairs_per_step", "epochs", "updates_per_batch", "clip",
            "kl_beta", "consistency", "temperature", "max_tokens", "batch_tokens", "decode_sequences", "lr", "warmup",
            "final_lr_ratio", "weight_decay", "grad_clip", "seed", "threads", "eval_every", "checkpoint_every", "dtype");

    public static final int GROUP_SIZE = 8;
    public static final int PAIRS_PER_STEP = 4;
    public static final int EPOCHS = 1;
    public static final int UPDATES_PER_BATCH = 1;
    public static final double CLIP = 0.2;
    public static final double KL_BETA = 0.04;
    public static final double CONSISTENCY = 0.0;
    public static final double TEMPERATURE = 1.0;
    public static final int MAX_TOKENS = 512;
    public static final int BATCH_TOKENS = 4096;
    public static final int DECODE_SEQUENCES = 16;
    public static final double LR = 1e-6;
    public static final int WARMUP = 0;
    public static final int EVAL_EVERY = 10;
    public static final int CHECKPOINT_EVERY = 1;

    public static final GrpoSettings DEFAULTS = new GrpoSettings(GROUP_SIZE, PAIRS_PER_STEP, EPOCHS, UPDATES_PER_BATCH, CLIP,
            KL_BETA, CONSISTENCY, TEMPERATURE, MAX_TOKENS, BATCH_TOKENS, DECODE_SEQUENCES, LR, WARMUP,
            EmbeddedTrainSettings.FINAL_LR_RATIO, EmbeddedTrainSettings.WEIGHT_DECAY, EmbeddedTrainSettings.GRAD_CLIP,
            EmbeddedTrainSettings.SEED, null, EVAL_EVERY, CHECKPOINT_EVERY, EmbeddedTrainSettings.DTYPE);

    public GrpoSettings {
        if (groupSize < 2) throw new InputError("training setting group_size must be >= 2 (advantages compare a prompt's samples), got " + groupSize);
        if (pairsPerStep < 1) throw new InputError("training setting pairs_per_step must be >= 1, got " + pairsPerStep);
        if (epochs < 1) throw new InputError("training setting epochs must be >= 1, got " + epochs);
        if (updatesPerBatch < 1) throw new InputError("training setting updates_per_batch must be >= 1, got " + updatesPerBatch);
        if (!(clip > 0 && clip < 1)) throw new InputError("training setting clip must be in (0, 1), got " + clip);
        if (!(klBeta >= 0) || Double.isInfinite(klBeta)) throw new InputError("training setting kl_beta must be >= 0, got " + klBeta);
        if (!(consistency >= 0) || Double.isInfinite(consistency)) throw new InputError("training setting consistency must be >= 0, got " + consistency);
        if (!(temperature > 0) || Double.isInfinite(temperature)) throw new InputError("training setting temperature must be > 0 (sampling), got " + temperature);
        if (maxTokens < 1) throw new InputError("training setting max_tokens must be >= 1, got " + maxTokens);
        if (batchTokens < 1) throw new InputError("training setting batch_tokens must be >= 1, got " + batchTokens);
        if (decodeSequences < 1) throw new InputError("training setting decode_sequences must be >= 1, got " + decodeSequences);
        if (!(lr > 0)) throw new InputError("training setting lr must be > 0, got " + lr);
        if (threads != null && threads < 1) throw new InputError("training setting threads must be >= 1, got " + threads);
        dtype = dtype.toLowerCase(Locale.ROOT);
        if (!List.of("f32", "f16", "bf16").contains(dtype)) throw new InputError("training setting dtype must be f32, f16 or bf16, got '" + dtype + "'");
    }

    /** Binds a settings map over the defaults; unknown keys and wrongly typed values are input errors. */
    public static GrpoSettings from(Map<String, ?> settings) {
        for (String k : settings.keySet()) {
            if (!KEYS.contains(k)) throw new InputError("unknown GRPO training setting '" + k + "'" + DidYouMean.hint(k, KEYS));
        }
        EmbeddedTrainSettings.Values v = new EmbeddedTrainSettings.Values(settings);
        GrpoSettings d = DEFAULTS;
        return new GrpoSettings(v.integer("group_size", d.groupSize), v.integer("pairs_per_step", d.pairsPerStep),
                v.integer("epochs", d.epochs), v.integer("updates_per_batch", d.updatesPerBatch), v.real("clip", d.clip),
                v.real("kl_beta", d.klBeta), v.real("consistency", d.consistency), v.real("temperature", d.temperature),
                v.integer("max_tokens", d.maxTokens), v.integer("batch_tokens", d.batchTokens),
                v.integer("decode_sequences", d.decodeSequences), v.real("lr", d.lr), v.integer("warmup", d.warmup),
                v.real("final_lr_ratio", d.finalLrRatio), v.real("weight_decay", d.weightDecay), v.real("grad_clip", d.gradClip),
                v.integer("seed", d.seed), v.optionalInteger("threads"), v.integer("eval_every", d.evalEvery),
                v.integer("checkpoint_every", d.checkpointEvery), v.text("dtype", d.dtype));
    }

    public int threadsOrCores() {
        return threads != null ? threads : Math.max(1, Runtime.getRuntime().availableProcessors());
    }
}
