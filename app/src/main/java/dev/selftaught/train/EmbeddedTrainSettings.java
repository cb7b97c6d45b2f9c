package dev.selftaught.train;

import dev.selftaught.data.DidYouMean;
import dev.selftaught.data.InputError;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The embedded trainer's settings ({@code train.settings} in a run config, {@code --set KEY=VALUE}
 * on the command line), typed, with every default defined here once. Values may come as numbers
 * or as text ({@code --set lr=1e-6}); an integer setting refuses a fraction. An unknown key is an
 * error with the nearest known key suggested, so a misspelt learning rate is never silently
 * replaced by the default.
 *
 * @param lr             peak learning rate
 * @param epochs         passes over the training rows
 * @param batchTokens    tokens per micro-batch (rows × row length)
 * @param accumSteps     micro-batches per optimizer step
 * @param warmup         linear warm-up steps
 * @param finalLrRatio   cosine decay floor as a fraction of lr
 * @param weightDecay    AdamW weight decay
 * @param gradClip       global gradient-norm clip
 * @param seed           shuffling and LoRA initialisation seed
 * @param threads        worker threads (null: every core)
 * @param evalEvery      steps between validation evaluations (0: never)
 * @param patience       evaluations without improvement before stopping early (0: off)
 * @param checkpointEvery steps between resumable state saves
 * @param maxSeqLen      longest training row in tokens (null: the model's context; never more)
 * @param loraRank       LoRA rank (0: full fine-tuning)
 * @param loraAlpha      LoRA alpha (null: 2 × rank)
 * @param loraDropout    LoRA dropout
 * @param loraTargets    LoRA target matrices, comma-separated
 * @param gguf           also write a GGUF file: f32 or f16 (empty: no)
 * @param dtype          tensor type of the written safetensors: f32, f16 or bf16
 * @param truncation     what happens to a row longer than max_seq_len: drop (default) or cut_end;
 *                       see {@link dev.selftaught.engine.train.SftPlan.Truncation}
 * @param saveEvery      also save the model as DIR/checkpoint-STEP every this many steps (0: no)
 * @param saveEpochs     also save the model as DIR/checkpoint-STEP at the end of every this many epochs (0: no)
 * @param maxShardSize   above this size the safetensors weights are written as shards with an index
 *                       (transformers' {@code max_shard_size}: 5GB, 500MB, 2GiB or bytes)
 */
public record EmbeddedTrainSettings(double lr, int epochs, int batchTokens, int accumSteps, int warmup, double finalLrRatio,
                                    double weightDecay, double gradClip, long seed, Integer threads, int evalEvery,
                                    int patience, int checkpointEvery, Integer maxSeqLen, int loraRank, Double loraAlpha,
                                    double loraDropout, String loraTargets, String gguf, String dtype, String truncation,
                                    int saveEvery, int saveEpochs, String maxShardSize) {

    /** Every key, in the order of the record (as written in a config). */
    public static final List<String> KEYS = List.of("lr", "epochs", "batch_tokens", "accum_steps", "warmup",
            "final_lr_ratio", "weight_decay", "grad_clip", "seed", "threads", "eval_every", "patience",
            "checkpoint_every", "max_seq_len", "lora_rank", "lora_alpha", "lora_dropout", "lora_targets", "gguf",
            "dtype", "truncation", "save_every", "save_epochs", "max_shard_size");

    // The defaults, defined once: DEFAULTS and the train command's options use these.
    public static final double LR = 1e-4;
    public static final int EPOCHS = 1;
    public static final int BATCH_TOKENS = 4096;
    public static final int ACCUM_STEPS = 1;
    public static final int WARMUP = 10;
    public static final double FINAL_LR_RATIO = 0.1;
    public static final double WEIGHT_DECAY = 0.0;
    public static final double GRAD_CLIP = 1.0;
    public static final long SEED = 1234;
    public static final int EVAL_EVERY = 0;
    public static final int PATIENCE = 0;
    public static final int CHECKPOINT_EVERY = 20;
    public static final int LORA_RANK = 0;
    public static final double LORA_DROPOUT = 0.0;
    public static final String LORA_TARGETS = "q,k,v,o,gate,up,down";
    public static final String DTYPE = "f32";
    public static final String TRUNCATION = "drop";
    public static final int SAVE_EVERY = 0;
    public static final int SAVE_EPOCHS = 0;
    public static final String MAX_SHARD_SIZE = dev.selftaught.engine.format.hf.ShardSize.DEFAULT;

    public static final EmbeddedTrainSettings DEFAULTS = new EmbeddedTrainSettings(LR, EPOCHS, BATCH_TOKENS, ACCUM_STEPS,
            WARMUP, FINAL_LR_RATIO, WEIGHT_DECAY, GRAD_CLIP, SEED, null, EVAL_EVERY, PATIENCE, CHECKPOINT_EVERY, null,
            LORA_RANK, null, LORA_DROPOUT, LORA_TARGETS, "", DTYPE, TRUNCATION, SAVE_EVERY, SAVE_EPOCHS, MAX_SHARD_SIZE);

    public EmbeddedTrainSettings {
        gguf = gguf.toLowerCase(Locale.ROOT);
        if (!gguf.isEmpty() && !gguf.equals("f32") && !gguf.equals("f16")) {
            throw new InputError("training setting gguf must be f32 or f16, got '" + gguf + "'");
        }
        dtype = dtype.toLowerCase(Locale.ROOT);
        if (!List.of("f32", "f16", "bf16").contains(dtype)) {
            throw new InputError("training setting dtype must be f32, f16 or bf16, got '" + dtype + "'");
        }
        if (saveEvery < 0) throw new InputError("training setting save_every must be >= 0, got " + saveEvery);
        if (saveEpochs < 0) throw new InputError("training setting save_epochs must be >= 0, got " + saveEpochs);
        try {
            dev.selftaught.engine.format.hf.ShardSize.parse(maxShardSize);
        } catch (IllegalArgumentException e) {
            throw new InputError("training setting " + e.getMessage());
        }
        truncation = truncation.toLowerCase(Locale.ROOT);
        if (!truncation.equals("drop") && !truncation.equals("cut_end")) {
            throw new InputError("training setting truncation must be drop or cut_end, got '" + truncation + "'");
        }
    }

    /** The first key of {@code settings} that is not a setting, or null. */
    public static String unknownKey(Map<String, ?> settings) {
        for (String k : settings.keySet()) if (!KEYS.contains(k)) return k;
        return null;
    }

    /** "unknown training setting 'lr_rate'; did you mean 'lr'?" */
    public static String unknownKeyMessage(String key) {
        return "unknown training setting '" + key + "'" + DidYouMean.hint(key, KEYS);
    }

    /** Binds a settings map over the defaults; unknown keys and wrongly typed values are input errors. */
    public static EmbeddedTrainSettings from(Map<String, ?> settings) {
        String unknown = unknownKey(settings);
        if (unknown != null) throw new InputError(unknownKeyMessage(unknown));
        Values v = new Values(settings);
        EmbeddedTrainSettings d = DEFAULTS;
        return new EmbeddedTrainSettings(v.real("lr", d.lr), v.integer("epochs", d.epochs), v.integer("batch_tokens", d.batchTokens),
                v.integer("accum_steps", d.accumSteps), v.integer("warmup", d.warmup), v.real("final_lr_ratio", d.finalLrRatio),
                v.real("weight_decay", d.weightDecay), v.real("grad_clip", d.gradClip), v.integer("seed", d.seed),
                v.optionalInteger("threads"), v.integer("eval_every", d.evalEvery), v.integer("patience", d.patience),
                v.integer("checkpoint_every", d.checkpointEvery), v.optionalInteger("max_seq_len"),
                v.integer("lora_rank", d.loraRank), v.optionalReal("lora_alpha"), v.real("lora_dropout", d.loraDropout),
                v.text("lora_targets", d.loraTargets), v.text("gguf", d.gguf), v.text("dtype", d.dtype),
                v.text("truncation", d.truncation), v.integer("save_every", d.saveEvery), v.integer("save_epochs", d.saveEpochs),
                v.text("max_shard_size", d.maxShardSize));
    }

    /** Worker threads: the setting, or every core. */
    public int threadsOrCores() {
        return threads != null ? threads : Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** The longest row: max_seq_len when set, never more than the model's context. */
    public int maxSeqLen(int modelContext) {
        return Math.min(modelContext, maxSeqLen != null ? maxSeqLen : modelContext);
    }

    /** The shard size limit in bytes. */
    public long maxShardBytes() {
        return dev.selftaught.engine.format.hf.ShardSize.parse(maxShardSize);
    }

    /** LoRA alpha: the setting, or twice the rank. */
    public double loraAlphaOrDefault() {
        return loraAlpha != null ? loraAlpha : 2.0 * loraRank;
    }

    /** Typed reads of the map, failing with the setting's name. */
    record Values(Map<String, ?> map) {
        int integer(String key, long def) {
            Integer v = optionalInteger(key);
            return v == null ? (int) def : v;
        }

        Integer optionalInteger(String key) {
            Object v = map.get(key);
            if (v == null) return null;
            try {
                double d = v instanceof Number n ? n.doubleValue() : Double.parseDouble(v.toString());
                if (d != Math.rint(d)) throw new NumberFormatException();
                return (int) d;
            } catch (NumberFormatException e) {
                throw new InputError("training setting " + key + " must be an integer, got '" + v + "'");
            }
        }

        double real(String key, double def) {
            Double v = optionalReal(key);
            return v == null ? def : v;
        }

        Double optionalReal(String key) {
            Object v = map.get(key);
            if (v == null) return null;
            try {
                return v instanceof Number n ? n.doubleValue() : Double.parseDouble(v.toString());
            } catch (NumberFormatException e) {
                throw new InputError("training setting " + key + " must be a number, got '" + v + "'");
            }
        }

        String text(String key, String def) {
            Object v = map.get(key);
            return v == null ? def : v.toString();
        }
    }
}
