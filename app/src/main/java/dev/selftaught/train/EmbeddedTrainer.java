package dev.selftaught.train;

import dev.selftaught.data.InputError;
import dev.selftaught.engine.chat.ChatTemplate;
import dev.selftaught.engine.chat.DefaultChatTemplate;
import dev.selftaught.engine.chat.JinjaChatTemplate;
import dev.selftaught.engine.format.gguf.GgufCheckpoint;
import dev.selftaught.engine.format.hf.HfCheckpoint;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.model.LoadedModel;
import dev.selftaught.engine.model.ModelFormatException;
import dev.selftaught.engine.model.ModelLoader;
import dev.selftaught.engine.train.LoraConfig;
import dev.selftaught.engine.train.PeftAdapter;
import dev.selftaught.engine.train.SftPlan;
import dev.selftaught.engine.train.Trainer;
import dev.selftaught.engine.train.TrainOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Fine-tunes a model on the CPU with the pure-Java engine: reads the job's JSONL rows, tokenizes
 * them with the base model's tokenizer and chat template, trains (full or LoRA), and writes an HF
 * checkpoint into the output directory that {@code embedded:DIR} loads back. A LoRA run also
 * writes the adapter in PEFT layout under {@code DIR/adapter} and the merged model in DIR. The
 * resumable state lives in {@code DIR/train-state}; running the same job again resumes it.
 *
 * <p>Settings (TrainJob.settings, all optional): lr, epochs, batch_tokens, accum_steps, warmup,
 * final_lr_ratio, weight_decay, grad_clip, seed, threads, eval_every, patience, checkpoint_every,
 * max_seq_len, lora_rank, lora_alpha, lora_dropout, lora_targets, gguf (f32|f16), dtype (f32|f16|bf16).
 */
public final class EmbeddedTrainer implements TrainerBackend {

    /** A task metric on a candidate checkpoint (higher is better), e.g. pairwise judge accuracy. */
    @FunctionalInterface
    public interface CheckpointMetric {
        double evaluate(LoadedModel candidate, long step);
    }

    /** What the last {@link #train} call did, for summaries. */
    public record Summary(String modelSpec, long steps, double finalLoss, Trainer.Evaluation best, int examples,
                          int truncated, long trainableParameters, double seconds, boolean resumed) {}

    private final Trainer.Listener listener;
    private final CheckpointMetric metric;
    private Summary last;

    public EmbeddedTrainer() { this(null, null); }

    public EmbeddedTrainer(Trainer.Listener listener, CheckpointMetric metric) {
        this.listener = listener;
        this.metric = metric;
    }

    public Summary lastSummary() { return last; }

    /** The directory an {@code embedded:PATH} (or bare path) spec names. */
    static Path basePath(String spec) {
        if (spec == null || spec.isBlank()) throw new InputError("--base is empty; give embedded:DIR or a model path");
        String s = spec.startsWith("embedded:") ? spec.substring("embedded:".length()) : spec;
        if (s.contains("://")) throw new InputError("the embedded trainer trains local models; '" + spec + "' is not embedded:PATH");
        Path p = Path.of(s);
        if (!Files.exists(p)) throw new InputError("base model " + p + " does not exist");
        return p;
    }

    @Override
    public String train(TrainJob job) {
        long t0 = System.nanoTime();
        Settings s = new Settings(job.settings());
        LoadedModel base;
        try {
            base = ModelLoader.load(basePath(job.baseModel()));
        } catch (ModelFormatException e) {
            throw new InputError("cannot load base model " + job.baseModel() + ": " + e.getMessage(), e);
        }
        ChatTemplate template = base.chatTemplate() != null ? base.chatTemplate() : DefaultChatTemplate.INSTANCE;
        // The checkpoint carries the template its rows were rendered with, so transformers' apply_chat_template
        // and vLLM's chat endpoint build the prompts it was trained on: the base's own, else ours as Jinja.
        String templateSource = base.chatTemplate() instanceof JinjaChatTemplate j ? j.source()
                : base.chatTemplate() == null ? JinjaChatTemplate.DEFAULT_SOURCE : null;
        List<SftPlan.Example> rows = TrainRows.read(job.data(), base.tokenizer(), template);
        List<SftPlan.Example> valRows = job.validation() == null ? null : TrainRows.read(job.validation(), base.tokenizer(), template);

        int maxSeq = Math.min(base.config().maxSeqLen(), s.integer("max_seq_len", base.config().maxSeqLen()));
        int budget = s.integer("batch_tokens", 4096);
        long seed = s.integer("seed", 1234);
        SftPlan plan = new SftPlan(rows, maxSeq, budget, s.integer("epochs", 1), seed);
        SftPlan val = valRows == null ? null : new SftPlan(valRows, maxSeq, budget, 1, seed);

        TrainOptions o = TrainOptions.defaults()
                .withLr((float) s.real("lr", 1e-4))
                .withWarmup(s.integer("warmup", 10))
                .withFinalLrRatio((float) s.real("final_lr_ratio", 0.1))
                .withWeightDecay((float) s.real("weight_decay", 0.0))
                .withGradClip((float) s.real("grad_clip", 1.0))
                .withAccumSteps(s.integer("accum_steps", 1))
                .withSeed(seed)
                .withThreads(s.integer("threads", Math.max(1, Runtime.getRuntime().availableProcessors())))
                .withEvalEvery(s.integer("eval_every", 0))
                .withCheckpointEvery(s.integer("checkpoint_every", 20))
                .withPatience(s.integer("patience", 0));
        int rank = s.integer("lora_rank", 0);
        if (rank > 0) {
            Set<LoraConfig.Target> targets;
            try {
                targets = LoraConfig.parseTargets(s.text("lora_targets", "q,k,v,o,gate,up,down"));
            } catch (IllegalArgumentException e) {
                throw new InputError("lora_targets: " + e.getMessage());
            }
            o = o.withLora(new LoraConfig(rank, (float) s.real("lora_alpha", 2.0 * rank), (float) s.real("lora_dropout", 0.0), targets));
        }
        String dtypeName = s.text("dtype", "f32").toUpperCase(Locale.ROOT);
        SafetensorsWriter.DType dtype;
        try {
            dtype = SafetensorsWriter.DType.valueOf(dtypeName);
        } catch (IllegalArgumentException e) {
            throw new InputError("dtype must be f32, f16 or bf16, got '" + dtypeName.toLowerCase(Locale.ROOT) + "'");
        }
        String gguf = s.text("gguf", "").toLowerCase(Locale.ROOT);
        if (!gguf.isEmpty() && !gguf.equals("f32") && !gguf.equals("f16")) throw new InputError("gguf must be f32 or f16, got '" + gguf + "'");

        Path out = job.outputDir();
        LlamaWeights weights = base.weights();
        Trainer.Metric hook = metric == null ? null : (w, step) -> metric.evaluate(
                new LoadedModel(w.config, w, base.tokenizer(), base.chatTemplate(), base.files()), step);
        try (Trainer trainer = new Trainer(weights, o)) {
            Files.createDirectories(out);
            Trainer.Result r = trainer.train(plan, val, hook, out.resolve("train-state"), listener);
            LlamaWeights result = trainer.adapter() == null ? weights : trainer.adapter().mergeInto(weights);
            if (trainer.adapter() != null) PeftAdapter.write(out.resolve("adapter"), trainer.adapter(), PeftAdapter.baseModelName(basePath(job.baseModel())));
            HfCheckpoint.write(out, result, base.tokenizer(), templateSource, dtype);
            if (!gguf.isEmpty()) {
                GgufCheckpoint.write(out.resolve("model-" + gguf + ".gguf"), result, base.tokenizer(), templateSource,
                        gguf.equals("f32") ? GgufCheckpoint.Precision.F32 : GgufCheckpoint.Precision.F16, out.getFileName().toString());
            }
            long trainable = dev.selftaught.engine.train.Params.count(trainer.parameters());
            last = new Summary("embedded:" + out, r.steps(), r.finalLoss(), r.best(), rows.size(), plan.truncated(), trainable,
                    (System.nanoTime() - t0) / 1e9, r.resumed());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the trained model to " + out + ": " + e.getMessage(), e);
        }
        return "embedded:" + out;
    }

    /** Typed access to the settings map, failing with the setting's name. */
    private record Settings(Map<String, Object> map) {
        int integer(String key, long def) {
            Object v = map.get(key);
            if (v == null) return (int) def;
            try {
                double d = v instanceof Number n ? n.doubleValue() : Double.parseDouble(v.toString());
                if (d != Math.rint(d)) throw new NumberFormatException();
                return (int) d;
            } catch (NumberFormatException e) {
                throw new InputError("training setting " + key + " must be an integer, got '" + v + "'");
            }
        }

        double real(String key, double def) {
            Object v = map.get(key);
            if (v == null) return def;
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
