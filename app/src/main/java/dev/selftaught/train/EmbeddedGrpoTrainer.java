package dev.selftaught.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.AtomicFiles;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.data.InputError;
import dev.selftaught.data.Json;
import dev.selftaught.engine.chat.ChatTemplate;
import dev.selftaught.engine.chat.DefaultChatTemplate;
import dev.selftaught.engine.chat.JinjaChatTemplate;
import dev.selftaught.engine.format.hf.HfCheckpoint;
import dev.selftaught.engine.format.hf.SafetensorsWriter;
import dev.selftaught.engine.generate.GenerationResult;
import dev.selftaught.engine.generate.SamplingConfig;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.model.ModelFormatException;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.engine.train.GrpoLoss;
import dev.selftaught.engine.train.GrpoTrainer;
import dev.selftaught.engine.train.TrainOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Trains a judge online by GRPO on the CPU with the pure-Java engine: prompts are chat turns
 * rendered with the base model's chat template (as the embedded model renders chat requests), the
 * caller scores the sampled texts (e.g. 1 when the parsed verdict equals the label known by
 * construction), and the result is an HF checkpoint in the output directory that
 * {@code embedded:DIR} loads, like {@link EmbeddedTrainer}'s. The resumable state lives in
 * {@code DIR/train-state}; running the same job again resumes it. Every step appends a line to
 * {@code DIR/grpo-steps.jsonl} (see {@link #STEPS}); a resumed run first drops the lines of steps
 * it will redo (none: the state is saved every step by default).
 */
public final class EmbeddedGrpoTrainer {
    /** Per-step statistics, one JSON object per line. */
    public static final String STEPS = "grpo-steps.jsonl";

    /** Scores one task's texts: result[prompt][sample]. */
    @FunctionalInterface
    public interface Scorer {
        double[][] score(int task, List<List<String>> texts);
    }

    /** Prompts scored together (a pair in both orders), each as chat turns. */
    public record Task(List<List<ChatMessage>> prompts) {
        public Task { prompts = List.copyOf(prompts); }
    }

    /** What the last run did (reward, KL and accuracy of its last step; accuracy NaN when not evaluated there). */
    public record Summary(String modelSpec, long steps, boolean resumed, double seconds, double lastReward, double lastKl,
                          double lastAccuracy, long trainableParameters, int tasks) {}

    /** Progress of a run (the engine trainer's listener, named here so callers need not see the engine). */
    public interface Listener extends GrpoTrainer.Listener {}

    private final Listener listener;
    private Summary last;

    public EmbeddedGrpoTrainer(Listener listener) {
        this.listener = listener;
    }

    public Summary lastSummary() { return last; }

    /**
     * Trains and writes the checkpoint; returns its spec, {@code embedded:OUT}.
     *
     * @param validation tasks whose greedy judgments {@code accuracy} scores (mean over prompts), every eval_every steps; or null
     */
    public String train(List<Task> tasks, Scorer reward, List<Task> validation, Scorer accuracy, String baseModel, Path out, GrpoSettings s) {
        long t0 = System.nanoTime();
        if (tasks.isEmpty()) throw new InputError("no pairs to train on");
        LoadedModel base;
        try {
            base = ModelLoader.load(EmbeddedTrainer.basePath(baseModel));
        } catch (ModelFormatException e) {
            throw new InputError("cannot load base model " + baseModel + ": " + e.getMessage(), e);
        }
        Tokenizer tok = base.tokenizer();
        ChatTemplate template = base.chatTemplate() != null ? base.chatTemplate() : DefaultChatTemplate.INSTANCE;
        String templateSource = base.chatTemplate() instanceof JinjaChatTemplate j ? j.source()
                : base.chatTemplate() == null ? JinjaChatTemplate.DEFAULT_SOURCE : null;
        List<GrpoTrainer.Task> engineTasks = encode(tasks, tok, template, base.config().maxSeqLen(), s.maxTokens());
        List<GrpoTrainer.Task> valTasks = validation == null ? null : encode(validation, tok, template, base.config().maxSeqLen(), s.maxTokens());

        TrainOptions o = TrainOptions.defaults().withLr((float) s.lr()).withWarmup(s.warmup())
                .withFinalLrRatio((float) s.finalLrRatio()).withWeightDecay((float) s.weightDecay())
                .withGradClip((float) s.gradClip()).withSeed(s.seed()).withThreads(s.threadsOrCores())
                .withEvalEvery(s.evalEvery()).withCheckpointEvery(s.checkpointEvery());
        int decodeSeq = Math.max(1, Math.min(s.decodeSequences(), 256));
        GrpoTrainer.Options go = new GrpoTrainer.Options(s.groupSize(), s.pairsPerStep(), s.epochs(), s.updatesPerBatch(),
                new GrpoLoss(s.clip(), s.klBeta()), SamplingConfig.temperature((float) s.temperature()), s.maxTokens(),
                s.batchTokens(), Math.max(256, decodeSeq), decodeSeq, o);
        int eos = tok.eos() >= 0 ? tok.eos() : (tok.stopIds().length > 0 ? tok.stopIds()[0] : -1);
        Path stepsFile = out.resolve(STEPS);
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + out, e);
        }
        try (GrpoTrainer trainer = new GrpoTrainer(base.weights(), tok, eos, tok.stopIds(), go)) {
            GrpoTrainer.Reward r = (task, samples) -> reward.score(task, texts(samples));
            dev.selftaught.engine.train.Trainer.Metric metric = valTasks == null ? null : (w, step) -> {
                double sum = 0;
                int n = 0;
                for (int i = 0; i < valTasks.size(); i++) {
                    List<GenerationResult> g = trainer.greedy(valTasks.get(i).prompts(), s.maxTokens());
                    List<List<String>> texts = new ArrayList<>();
                    for (GenerationResult x : g) texts.add(List.of(x.text()));
                    for (double[] row : accuracy.score(i, texts)) { sum += row[0]; n++; }
                }
                return n == 0 ? Double.NaN : sum / n;
            };
            GrpoTrainer.Step[] lastStep = new GrpoTrainer.Step[1];
            List<String> lines = new ArrayList<>();
            GrpoTrainer.Listener recording = new GrpoTrainer.Listener() {
                @Override public void onStart(long resumedAt, long totalSteps) {
                    lines.addAll(keptLines(stepsFile, resumedAt));
                    if (listener != null) listener.onStart(resumedAt, totalSteps);
                }
                @Override public void onStep(GrpoTrainer.Step st) {
                    lastStep[0] = st;
                    lines.add(stepLine(st));
                    writeLines(stepsFile, lines);
                    if (listener != null) listener.onStep(st);
                }
            };
            GrpoTrainer.Result res = trainer.train(engineTasks, r, metric, out.resolve("train-state"), recording);
            HfCheckpoint.write(out, base.weights(), tok, templateSource, SafetensorsWriter.DType.valueOf(s.dtype().toUpperCase(Locale.ROOT)));
            GrpoTrainer.Step ls = lastStep[0];
            last = new Summary("embedded:" + out, res.steps(), res.resumed(), (System.nanoTime() - t0) / 1e9,
                    ls == null ? Double.NaN : ls.rewardMean(), ls == null ? Double.NaN : ls.kl(), ls == null ? Double.NaN : ls.metric(),
                    dev.selftaught.engine.train.Params.count(trainer.parameters()), tasks.size());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the trained model to " + out + ": " + e.getMessage(), e);
        }
        return "embedded:" + out;
    }

    private static List<List<String>> texts(List<List<GenerationResult>> samples) {
        List<List<String>> out = new ArrayList<>(samples.size());
        for (List<GenerationResult> g : samples) out.add(g.stream().map(GenerationResult::text).toList());
        return out;
    }

    /** Prompt token ids as the embedded model builds a chat request's (template, generation prompt, one BOS). */
    static List<GrpoTrainer.Task> encode(List<Task> tasks, Tokenizer tok, ChatTemplate template, int context, int maxTokens) {
        List<GrpoTrainer.Task> out = new ArrayList<>(tasks.size());
        for (int i = 0; i < tasks.size(); i++) {
            List<int[]> prompts = new ArrayList<>();
            for (List<ChatMessage> turns : tasks.get(i).prompts()) {
                List<ChatTemplate.Turn> t = turns.stream().map(m -> new ChatTemplate.Turn(m.role(), m.content())).toList();
                int[] ids = tok.encodeWithSpecials(template.render(t, true), true);
                if (ids.length > 1 && ids[0] == tok.bos() && ids[1] == tok.bos()) ids = Arrays.copyOfRange(ids, 1, ids.length);
                if (ids.length + 1 > context) {
                    throw new InputError("pair " + (i + 1) + ": its judge prompt has " + ids.length + " tokens, the model's context is "
                            + context + "; leave such pairs out or use a model with a longer context");
                }
                prompts.add(ids);
            }
            out.add(new GrpoTrainer.Task(prompts));
        }
        return out;
    }

    /** One line of grpo-steps.jsonl (snake_case; val_accuracy only at evaluated steps). */
    static String stepLine(GrpoTrainer.Step st) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("step", st.step());
        n.put("total_steps", st.totalSteps());
        n.put("reward_mean", st.rewardMean());
        n.put("kl", st.kl());
        n.put("loss", st.loss());
        n.put("clipped_fraction", st.clippedFraction());
        n.put("lr", st.lr());
        n.put("grad_norm", st.gradNorm());
        n.put("sampled_tokens", st.sampledTokens());
        n.put("sample_tokens_per_s", st.sampleTokensPerSecond());
        n.put("trained_tokens", st.trainedTokens());
        n.put("train_tokens_per_s", st.trainTokensPerSecond());
        if (!Double.isNaN(st.metric())) n.put("val_accuracy", st.metric());
        return n.toString();
    }

    /** The lines of an earlier run's steps file for steps up to {@code step} (the state a resume starts from). */
    static List<String> keptLines(Path file, long step) {
        List<String> kept = new ArrayList<>();
        if (step == 0 || !Files.isRegularFile(file)) return kept;
        try {
            for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (l.isBlank()) continue;
                JsonNode n = Json.MAPPER.readTree(l);
                if (n.path("step").asLong() <= step) kept.add(l);
            }
        } catch (IOException e) {
            throw new InputError(file + ": cannot read the steps of the interrupted run: " + e.getMessage(), e);
        }
        return kept;
    }

    private static void writeLines(Path file, List<String> lines) {
        try {
            AtomicFiles.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The steps of a finished or running run, for charts: rows of {step, reward_mean, kl, val_accuracy or NaN}. */
    public static List<double[]> readSteps(Path file) {
        List<double[]> out = new ArrayList<>();
        try {
            for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (l.isBlank()) continue;
                JsonNode n = Json.MAPPER.readTree(l);
                out.add(new double[] {n.path("step").asDouble(), n.path("reward_mean").asDouble(), n.path("kl").asDouble(),
                        n.has("val_accuracy") ? n.path("val_accuracy").asDouble() : Double.NaN});
            }
        } catch (IOException e) {
            throw new InputError(file + ": cannot read GRPO steps: " + e.getMessage(), e);
        }
        return out;
    }
}
