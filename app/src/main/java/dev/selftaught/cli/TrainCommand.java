package dev.selftaught.cli;

import dev.selftaught.engine.train.Trainer;
import dev.selftaught.train.EmbeddedTrainSettings;
import dev.selftaught.train.EmbeddedTrainer;
import dev.selftaught.train.TrainJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code selftaught train}: fine-tunes a local model on the CPU with the embedded engine. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {
                "Fine-tune a model on the CPU (pure-Java engine): full fine-tuning or LoRA, loss on the target turn only.",
                "Rows (JSONL, JSON, Parquet or CSV, optionally .gz) in TRL's shapes: {\"text\": ...} (every token is a target), "
                        + "{\"messages\": [...]} (the last assistant turn is the target; earlier turns are rendered with "
                        + "the base model's chat template), {\"prompt\": ..., \"completion\": ...} as strings or as message lists. "
                        + "Preference rows (prompt/chosen/rejected) are validated but not trained on yet.",
                "Writes an HF checkpoint (config.json, model.safetensors, tokenizer.json, tokenizer_config.json) to --output, "
                        + "loadable as embedded:OUT; LoRA runs also write the PEFT adapter to OUT/adapter. "
                        + "Run the same command again to resume an interrupted run from OUT/train-state."})
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--base", required = true, paramLabel = "SPEC", description = "Model to start from: embedded:PATH or a path (llama2.c .bin, GGUF file, or HF directory).")
    String base;
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Training rows: JSONL, JSON, Parquet or CSV (optionally .gz), one TRL shape per row (see above).")
    Path data;
    @Option(names = {"--output", "--out"}, required = true, paramLabel = "DIR", description = "Output directory for the checkpoint and the resumable training state; --out is an alias.")
    Path out;
    @Option(names = "--validation", paramLabel = "FILE", description = "Validation rows, same formats as --data; its loss is reported and picks the best checkpoint.")
    Path validation;
    @Option(names = "--epochs", defaultValue = "" + EmbeddedTrainSettings.EPOCHS, description = "Passes over the data (default: ${DEFAULT-VALUE}).")
    int epochs;
    @Option(names = "--lr", defaultValue = "" + EmbeddedTrainSettings.LR, description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--batch-tokens", defaultValue = "" + EmbeddedTrainSettings.BATCH_TOKENS, paramLabel = "N", description = "Tokens per micro-batch, examples packed into rows (default: ${DEFAULT-VALUE}).")
    int batchTokens;
    @Option(names = "--accum-steps", defaultValue = "" + EmbeddedTrainSettings.ACCUM_STEPS, paramLabel = "K", description = "Micro-batches per optimizer step (gradient accumulation; default: ${DEFAULT-VALUE}).")
    int accumSteps;
    @Option(names = "--warmup", defaultValue = "" + EmbeddedTrainSettings.WARMUP, paramLabel = "STEPS", description = "Linear warm-up steps before cosine decay (default: ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--final-lr-ratio", defaultValue = "" + EmbeddedTrainSettings.FINAL_LR_RATIO, description = "Cosine decay ends at lr times this (default: ${DEFAULT-VALUE}).")
    double finalLrRatio;
    @Option(names = "--weight-decay", defaultValue = "" + EmbeddedTrainSettings.WEIGHT_DECAY, description = "AdamW decoupled weight decay, not applied to norms and biases (default: ${DEFAULT-VALUE}).")
    double weightDecay;
    @Option(names = "--grad-clip", defaultValue = "" + EmbeddedTrainSettings.GRAD_CLIP, description = "Clip the global gradient norm to this; 0 disables (default: ${DEFAULT-VALUE}).")
    double gradClip;
    @Option(names = "--lora-rank", defaultValue = "" + EmbeddedTrainSettings.LORA_RANK, paramLabel = "R", description = "Train a LoRA adapter of this rank on a frozen base; 0 = full fine-tuning (default: ${DEFAULT-VALUE}).")
    int loraRank;
    @Option(names = "--lora-alpha", paramLabel = "A", description = "LoRA alpha; the update is scaled by alpha/rank (default: 2 x rank).")
    Double loraAlpha;
    @Option(names = "--lora-dropout", defaultValue = "" + EmbeddedTrainSettings.LORA_DROPOUT, description = "Dropout on the adapter input (default: ${DEFAULT-VALUE}).")
    double loraDropout;
    @Option(names = "--lora-targets", defaultValue = EmbeddedTrainSettings.LORA_TARGETS, description = "Projections that get adapters, comma-separated (default: ${DEFAULT-VALUE}).")
    String loraTargets;
    /** Seeds data order, adapter initialisation and dropout. */
    @picocli.CommandLine.Mixin SeedOption seed = new SeedOption(EmbeddedTrainSettings.SEED);
    /** The same seed and thread count give bitwise-identical weights. */
    @picocli.CommandLine.Mixin ThreadsOption threads = new ThreadsOption(0);
    @Option(names = "--max-seq-len", defaultValue = "0", paramLabel = "T", description = "Longest packed row; 0 = the model's context. Longer examples follow --truncation (default: ${DEFAULT-VALUE}).")
    int maxSeqLen;
    @Option(names = "--truncation", defaultValue = EmbeddedTrainSettings.TRUNCATION, paramLabel = "drop|cut_end",
            description = "An example longer than --max-seq-len is left out (drop), or keeps its whole prompt and loses the end of its target (cut_end); "
                    + "the prompt is never cut. Counted in the summary line (default: ${DEFAULT-VALUE}).")
    String truncation;
    @Option(names = "--eval-every", defaultValue = "" + EmbeddedTrainSettings.EVAL_EVERY, paramLabel = "STEPS", description = "Validation loss every this many steps; 0 = only at the end (default: ${DEFAULT-VALUE}).")
    int evalEvery;
    @Option(names = "--patience", defaultValue = "" + EmbeddedTrainSettings.PATIENCE, description = "Stop after this many evaluations without a better validation loss; 0 = never (default: ${DEFAULT-VALUE}).")
    int patience;
    @Option(names = "--checkpoint-every", defaultValue = "" + EmbeddedTrainSettings.CHECKPOINT_EVERY, paramLabel = "STEPS", description = "Write the resumable state every this many steps (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;
    @Option(names = "--save-every", defaultValue = "" + EmbeddedTrainSettings.SAVE_EVERY, paramLabel = "STEPS",
            description = "Also save the model every this many steps as OUT/checkpoint-STEP (an HF checkpoint, as HF trainers' save_steps); 0 = only the final model (default: ${DEFAULT-VALUE}).")
    int saveEvery;
    @Option(names = "--save-epochs", defaultValue = "" + EmbeddedTrainSettings.SAVE_EPOCHS, paramLabel = "E",
            description = "Also save the model at the end of every E-th epoch as OUT/checkpoint-STEP; 0 = never (default: ${DEFAULT-VALUE}).")
    int saveEpochs;
    @Option(names = "--dtype", defaultValue = EmbeddedTrainSettings.DTYPE, description = "Precision of the safetensors weights: f32, f16 or bf16; config.json's torch_dtype/dtype names it (default: ${DEFAULT-VALUE}).")
    String dtype;
    @Option(names = "--max-shard-size", defaultValue = EmbeddedTrainSettings.MAX_SHARD_SIZE, paramLabel = "SIZE",
            description = "Above this size the weights are written as model-0000K-of-0000N.safetensors shards listed in "
                    + "model.safetensors.index.json, as transformers' save_pretrained does: 5GB, 500MB, 2GiB or bytes (default: ${DEFAULT-VALUE}).")
    String maxShardSize;
    @Option(names = "--gguf", paramLabel = "f32|f16", description = "Also export OUT/model-f32.gguf or OUT/model-f16.gguf for llama.cpp / Ollama.")
    String gguf;

    @Override
    public Integer call() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("epochs", epochs);
        s.put("lr", lr);
        s.put("batch_tokens", batchTokens);
        s.put("accum_steps", accumSteps);
        s.put("warmup", warmup);
        s.put("final_lr_ratio", finalLrRatio);
        s.put("weight_decay", weightDecay);
        s.put("grad_clip", gradClip);
        s.put("seed", seed.value());
        s.put("threads", threads.value() > 0 ? threads.value() : Runtime.getRuntime().availableProcessors());
        if (maxSeqLen > 0) s.put("max_seq_len", maxSeqLen);
        s.put("eval_every", evalEvery);
        s.put("patience", patience);
        s.put("checkpoint_every", checkpointEvery);
        if (saveEvery != 0) s.put("save_every", saveEvery);
        if (saveEpochs != 0) s.put("save_epochs", saveEpochs);
        s.put("dtype", dtype);
        s.put("max_shard_size", maxShardSize);
        s.put("truncation", truncation);
        if (gguf != null) s.put("gguf", gguf);
        if (loraRank > 0) {
            s.put("lora_rank", loraRank);
            s.put("lora_alpha", loraAlpha != null ? loraAlpha : 2.0 * loraRank);
            s.put("lora_dropout", loraDropout);
            s.put("lora_targets", loraTargets);
        }
        try (StepPrinter progress = new StepPrinter(System.err)) {
            EmbeddedTrainer trainer = new EmbeddedTrainer(progress, null);
            String spec = trainer.train(new TrainJob(data, validation, base, out, s));
            progress.close();
            EmbeddedTrainer.Summary r = trainer.lastSummary();
            PrintStream o = System.out;
            o.printf(Locale.ROOT, "trained %s: %d examples%s, %d steps%s, %,d trainable parameters (%s), final loss %.4f, %s%n",
                    spec, r.examples(), r.truncated() > 0 ? " (" + r.truncated() + " longer than the row: " + trainer.lastStats() + ")" : "", r.steps(),
                    r.resumed() ? " (resumed)" : "", r.trainableParameters(), loraRank > 0 ? "LoRA rank " + loraRank : "full",
                    r.finalLoss(), Progress.duration(r.seconds()));
            if (r.best() != null) {
                o.printf(Locale.ROOT, "best checkpoint: step %d, validation loss %.4f (saved)%n", r.best().step(), r.best().validationLoss());
            }
        }
        return Main.EXIT_OK;
    }

    /** Step, loss, tokens/s and ETA on stderr: redrawn in place on a terminal, a line every 5 s otherwise. */
    static final class StepPrinter implements Trainer.Listener, AutoCloseable {
        private final PrintStream err;
        private final boolean tty;
        private long lastPrint;
        private String pending;
        private boolean closed;

        StepPrinter(PrintStream err) {
            this.err = err;
            var console = System.console();
            this.tty = console != null && console.isTerminal();
        }

        @Override
        public synchronized void onStep(Trainer.Step s) {
            pending = String.format(Locale.ROOT, "train step %d/%d %5.1f%% loss %.4f lr %.2e %.0f tok/s ETA %s",
                    s.step(), s.totalSteps(), 100.0 * s.step() / s.totalSteps(), s.loss(), s.lr(), s.tokensPerSecond(),
                    Progress.duration(s.etaSeconds()));
            long now = System.nanoTime();
            if (tty || now - lastPrint > 5_000_000_000L || s.step() == 1) {
                lastPrint = now;
                err.print(tty ? "\r" + pending + "\033[K" : pending + "\n");
                err.flush();
                pending = null;
            }
        }

        @Override
        public synchronized void onEvaluation(Trainer.Evaluation e) {
            if (tty) err.print("\n");
            err.printf(Locale.ROOT, "eval step %d: validation loss %.4f%s%n", e.step(), e.validationLoss(), e.best() ? " (best so far)" : "");
        }

        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            if (pending != null) err.print(tty ? "\r" + pending + "\033[K" : pending + "\n");
            if (tty) err.print("\n");
            err.flush();
        }
    }
}
