package dev.selftaught.train;

import dev.selftaught.data.InputError;
import dev.selftaught.engine.chat.ChatTemplate;
import dev.selftaught.engine.chat.DefaultChatTemplate;
import dev.selftaught.engine.chat.JinjaChatTemplate;
import dev.selftaught.engine.format.gguf.GgufCheckpoint;
import dev.selftaught.engine.format.hf.HfCheckpoint;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.model.ModelFormatException;
import dev.selftaught.engine.load.ModelLoader;
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
 * <p>Intermediate checkpoints, as HF trainers save them: with {@code save_every: N} (steps) and/or
 * {@code save_epochs: E} (every E epochs), the model at those optimizer steps is written as an HF
 * checkpoint in {@code DIR/checkpoint-STEP} (LoRA: merged), each directory atomically; the final
 * model stays in DIR. The run loop's checkpoint selection evaluates all of them on the validation
 * set. A fresh (not resumed) run removes checkpoint directories an earlier run left.
 *
 * <p>Settings (TrainJob.settings, all optional, unknown keys refused): see {@link EmbeddedTrainSettings}.
 * A row longer than max_seq_len is dropped (default) or has its judgment's end cut, never its
 * prompt; the counts are in {@link #lastStats()}.
 */
public final class EmbeddedTrainer implements TrainerBackend {

    /** A task metric on a candidate checkpoint (higher is better), e.g. pairwise judge accuracy. */
    @FunctionalInterface
    public interface CheckpointMetric {
        double evaluate(LoadedModel candidate, long step);
    }

    /** What the last {@link #train} call did, for summaries. */
    public record Summary(String modelSpec, long steps, double finalLoss, Trainer.Evaluation best, int examples,
                          int truncated, long trainableParameters, double seconds, boolean resumed, List<Long> checkpoints) {}

    private final Trainer.Listener listener;
    private final CheckpointMetric metric;
    private Summary last;
    private Map<String, Object> rowStats = Map.of();

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
        if (job.method() == TrainMethod.DPO) {
            throw new InputError("the embedded trainer does not train DPO yet; use train.method: sft, or an external command");
        }
        long t0 = System.nanoTime();
        EmbeddedTrainSettings s = EmbeddedTrainSettings.from(job.settings());
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

        int maxSeq = s.maxSeqLen(base.config().maxSeqLen());
        SftPlan.Truncation truncation = s.truncation().equals("cut_end") ? SftPlan.Truncation.CUT_END : SftPlan.Truncation.DROP;
        SftPlan plan = new SftPlan(rows, maxSeq, s.batchTokens(), s.epochs(), s.seed(), truncation);
        requireRows(plan, rows.size(), job.data(), maxSeq);
        SftPlan val = valRows == null ? null : new SftPlan(valRows, maxSeq, s.batchTokens(), 1, s.seed(), truncation);
        if (val != null) requireRows(val, valRows.size(), job.validation(), maxSeq);
        rowStats = rowStats(rows.size(), plan, maxSeq);

        TrainOptions o = TrainOptions.defaults()
                .withLr((float) s.lr())
                .withWarmup(s.warmup())
                .withFinalLrRatio((float) s.finalLrRatio())
                .withWeightDecay((float) s.weightDecay())
                .withGradClip((float) s.gradClip())
                .withAccumSteps(s.accumSteps())
                .withSeed(s.seed())
                .withThreads(s.threadsOrCores())
                .withEvalEvery(s.evalEvery())
                .withCheckpointEvery(s.checkpointEvery())
                .withPatience(s.patience());
        if (s.loraRank() > 0) {
            Set<LoraConfig.Target> targets;
            try {
                targets = LoraConfig.parseTargets(s.loraTargets());
            } catch (IllegalArgumentException e) {
                throw new InputError("lora_targets: " + e.getMessage());
            }
            o = o.withLora(new LoraConfig(s.loraRank(), (float) s.loraAlphaOrDefault(), (float) s.loraDropout(), targets));
        }
        SafetensorsWriter.DType dtype = SafetensorsWriter.DType.valueOf(s.dtype().toUpperCase(Locale.ROOT));
        String gguf = s.gguf();
        long maxShard = s.maxShardBytes();

        Path out = job.outputDir();
        LlamaWeights weights = base.weights();
        Trainer.Metric hook = metric == null ? null : (w, step) -> metric.evaluate(
                new LoadedModel(w.config, w, base.tokenizer(), base.chatTemplate(), base.files()), step);
        long totalSteps = (plan.size() + s.accumSteps() - 1) / s.accumSteps();
        java.util.TreeSet<Long> saveAt = saveSteps(s.saveEvery(), s.saveEpochs(), plan.epochEnds(), s.accumSteps(), totalSteps);
        try (Trainer trainer = new Trainer(weights, o)) {
            Files.createDirectories(out);
            Trainer.Listener saving = new Trainer.Listener() {
                boolean first = true;
                @Override public void onStep(Trainer.Step st) {
                    if (first) { // steps from here on are (re)computed: drop what a killed or earlier run left
                        first = false;
                        removeCheckpoints(out, st.step(), saveAt);
                    }
                    if (saveAt.contains(st.step())) {
                        LlamaWeights now = trainer.adapter() == null ? weights : trainer.adapter().mergeInto(weights);
                        saveCheckpoint(out.resolve("checkpoint-" + st.step()), now, base, templateSource, dtype, maxShard);
                    }
                    if (listener != null) listener.onStep(st);
                }
                @Override public void onEvaluation(Trainer.Evaluation e) {
                    if (listener != null) listener.onEvaluation(e);
                }
            };
            Trainer.Result r = trainer.train(plan, val, hook, out.resolve("train-state"), saving);
            LlamaWeights result = trainer.adapter() == null ? weights : trainer.adapter().mergeInto(weights);
            if (trainer.adapter() != null) PeftAdapter.write(out.resolve("adapter"), trainer.adapter(), PeftAdapter.baseModelName(basePath(job.baseModel())));
            HfCheckpoint.write(out, result, base.tokenizer(), templateSource, dtype, maxShard);
            if (!gguf.isEmpty()) {
                GgufCheckpoint.write(out.resolve("model-" + gguf + ".gguf"), result, base.tokenizer(), templateSource,
                        gguf.equals("f32") ? GgufCheckpoint.Precision.F32 : GgufCheckpoint.Precision.F16, out.getFileName().toString());
            }
            long trainable = dev.selftaught.engine.train.Params.count(trainer.parameters());
            last = new Summary("embedded:" + out, r.steps(), r.finalLoss(), r.best(), rows.size(), plan.truncated(), trainable,
                    (System.nanoTime() - t0) / 1e9, r.resumed(), List.copyOf(saveAt));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the trained model to " + out + ": " + e.getMessage(), e);
        }
        return "embedded:" + out;
    }

    /**
     * The optimizer steps after which an intermediate checkpoint is saved: every {@code every}
     * steps and at the end of every {@code epochs}-th epoch, never the last step (the final model).
     */
    static java.util.TreeSet<Long> saveSteps(int every, int epochs, List<Integer> epochEnds, int accum, long totalSteps) {
        if (every < 0) throw new InputError("training setting save_every must be >= 0, got " + every);
        if (epochs < 0) throw new InputError("training setting save_epochs must be >= 0, got " + epochs);
        java.util.TreeSet<Long> at = new java.util.TreeSet<>();
        if (every > 0) for (long k = every; k < totalSteps; k += every) at.add(k);
        if (epochs > 0) {
            for (int e = epochs; e <= epochEnds.size(); e += epochs) {
                long step = (epochEnds.get(e - 1) + accum - 1) / accum; // the step that consumes the epoch's last batch
                if (step < totalSteps) at.add(step);
            }
        }
        return at;
    }

    /** Deletes {@code checkpoint-STEP} directories for steps at or after {@code from}, or not planned. */
    private static void removeCheckpoints(Path out, long from, java.util.Set<Long> planned) {
        try (var s = Files.list(out)) {
            for (Path p : s.filter(Files::isDirectory).toList()) {
                String n = p.getFileName().toString();
                if (!n.startsWith("checkpoint-")) continue;
                long step;
                try {
                    step = Long.parseLong(n.substring("checkpoint-".length()));
                } catch (NumberFormatException e) {
                    continue; // not ours
                }
                if (step >= from || !planned.contains(step)) deleteTree(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean old checkpoints in " + out, e);
        }
    }

    /** Writes an HF checkpoint into {@code dir} atomically: a temporary sibling, then a rename. */
    private static void saveCheckpoint(Path dir, LlamaWeights w, LoadedModel base, String templateSource, SafetensorsWriter.DType dtype, long maxShard) {
        Path tmp = dir.resolveSibling("." + dir.getFileName() + ".tmp");
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            HfCheckpoint.write(tmp, w, base.tokenizer(), templateSource, dtype, maxShard);
            deleteTree(dir);
            Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    /** An over-long-row policy that left nothing to train on is the user's to change, not a crash. */
    private static void requireRows(SftPlan plan, int rows, Path file, int maxSeq) {
        if (plan.size() == 0) {
            throw new InputError(file + ": all " + rows + " rows are longer than max_seq_len (" + maxSeq
                    + " tokens) and were dropped; raise max_seq_len (up to the model's context) or set truncation: cut_end");
        }
    }

    /** The training rows' fate, for the train stage's stats.json. */
    private static Map<String, Object> rowStats(int rows, SftPlan plan, int maxSeq) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("rows", rows);
        m.put("max_seq_len", maxSeq);
        m.put("truncation", plan.truncation().name().toLowerCase(Locale.ROOT));
        m.put("too_long_dropped", plan.dropped());
        m.put("too_long_cut_at_end", plan.cut());
        m.put("trained", rows - plan.dropped());
        return m;
    }

    @Override
    public Map<String, Object> lastStats() {
        return rowStats;
    }
}
