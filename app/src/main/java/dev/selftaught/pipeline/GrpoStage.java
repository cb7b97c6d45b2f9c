package dev.selftaught.pipeline;

import dev.selftaught.data.ChatMessage;
import dev.selftaught.data.InputError;
import dev.selftaught.eval.JudgePrompts;
import dev.selftaught.eval.PairwiseItem;
import dev.selftaught.eval.ParseRule;
import dev.selftaught.pipeline.Records.Message;
import dev.selftaught.pipeline.Records.Pair;
import dev.selftaught.report.Charts;
import dev.selftaught.train.EmbeddedGrpoTrainer;
import dev.selftaught.train.GrpoSettings;
import dev.selftaught.train.TrainJob;
import dev.selftaught.train.TrainerBackend;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The train stage of a round with {@code train.method: grpo} (J1-style online RL): the judge is
 * trained on the round's fixed synthetic pairs ({@code pairs/pairs.jsonl}) with a verifiable reward,
 * instead of SFT on annotated judgments. Each pair is shown in both orders (AB: y_w as A, gold A;
 * BA: gold B) with the annotate stage's judge template; a sampled judgment earns 1 when its verdict,
 * parsed with the annotate stage's verdict rule, equals the gold one, 0 otherwise (no verdict or a
 * tie: 0), plus {@code consistency} when the same-index judgment of the other order is correct too.
 *
 * <p>Runs as the GRPO case of {@link TrainStage} (its marker, inputs plus {@link #inputs}). Writes
 * {@code round-i/grpo.jsonl} and {@code round-i/grpo_reward.py} (the TRL GRPOTrainer dataset and
 * reward function, see docs/training.md), then trains: embedded (in-process GRPO,
 * {@link EmbeddedGrpoTrainer}) or external (the configured command with {data} = grpo.jsonl).
 * Outputs as the SFT train stage's: {@code round-i/model.json} (with {@code "method": "grpo"}),
 * {@code round-i/train/stats.json}, plus {@code round-i/train/grpo-steps.jsonl} and the charts
 * {@code round-i/train/grpo-reward.png} and {@code round-i/train/grpo-kl.png}.
 */
public final class GrpoStage {
    public static final String DATASET = "grpo.jsonl";
    public static final String REWARD_FILE = "grpo_reward.py";

    /** One row of the TRL dataset: conversational prompt, the gold verdict letter, and where it came from. */
    public record TrlRow(List<Message> prompt, String gold, String pairId, String order) {}

    private final TrainSettings settings;
    private final AnnotateSettings annotate;
    private final List<PairwiseItem> validation;
    private final EmbeddedGrpoTrainer.Listener progress;

    /**
     * @param annotate   the judge template and verdict rule (the annotate stage's, so GRPO trains the prompt SFT would)
     * @param validation pairwise items whose greedy accuracy (both orders) is reported every eval_every steps, or null
     * @param progress   per-step progress, or null
     */
    public GrpoStage(TrainSettings settings, AnnotateSettings annotate, List<PairwiseItem> validation,
                     EmbeddedGrpoTrainer.Listener progress) {
        this.settings = settings;
        this.annotate = annotate;
        this.validation = validation;
        this.progress = progress;
    }

    /** Both orders of every pair as judge prompts: AB (chosen as A) then BA. */
    static List<EmbeddedGrpoTrainer.Task> tasks(List<Pair> pairs, JudgePrompts prompts) {
        List<EmbeddedGrpoTrainer.Task> out = new ArrayList<>(pairs.size());
        for (Pair p : pairs) {
            List<ChatMessage> ctx = List.of(ChatMessage.user(p.instruction()));
            out.add(new EmbeddedGrpoTrainer.Task(List.of(prompts.render(ctx, p.chosen(), p.rejected()),
                    prompts.render(ctx, p.rejected(), p.chosen()))));
        }
        return out;
    }

    /** Validation items as tasks in the same shape (AB: gold A, BA: gold B). */
    static List<EmbeddedGrpoTrainer.Task> validationTasks(List<PairwiseItem> items, JudgePrompts prompts) {
        List<EmbeddedGrpoTrainer.Task> out = new ArrayList<>(items.size());
        for (PairwiseItem it : items) out.add(new EmbeddedGrpoTrainer.Task(List.of(prompts.render(it, true), prompts.render(it, false))));
        return out;
    }

    /** The gold verdict of prompt {@code p} of a task: A for the first (AB) order, B for the second. */
    static String gold(int p) { return p == 0 ? "A" : "B"; }

    /**
     * The verifiable reward: 1 per correct verdict, plus {@code consistency} when sample k of the
     * other order is correct too (J1's position-consistency term; pairs samples by index).
     */
    static EmbeddedGrpoTrainer.Scorer reward(ParseRule rule, double consistency) {
        return (task, texts) -> {
            double[][] correct = correctness(rule, texts);
            double[][] r = new double[correct.length][];
            for (int p = 0; p < correct.length; p++) {
                r[p] = correct[p].clone();
                if (consistency > 0 && correct.length == 2) {
                    double[] other = correct[1 - p];
                    for (int k = 0; k < r[p].length; k++) if (k < other.length) r[p][k] += consistency * correct[p][k] * other[k];
                }
            }
            return r;
        };
    }

    /** 1 where the parsed verdict is the gold one, else 0. */
    static double[][] correctness(ParseRule rule, List<List<String>> texts) {
        double[][] c = new double[texts.size()][];
        for (int p = 0; p < texts.size(); p++) {
            c[p] = new double[texts.get(p).size()];
            for (int k = 0; k < c[p].length; k++) c[p][k] = rule.parse(texts.get(p).get(k)).jsonName().equals(gold(p)) ? 1 : 0;
        }
        return c;
    }

    /** The TRL GRPOTrainer dataset: one row per pair and order. */
    static List<TrlRow> trlRows(List<Pair> pairs, JudgePrompts prompts) {
        List<EmbeddedGrpoTrainer.Task> tasks = tasks(pairs, prompts);
        List<TrlRow> rows = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            for (int p = 0; p < 2; p++) {
                List<Message> msgs = tasks.get(i).prompts().get(p).stream().map(m -> new Message(m.role(), m.content())).toList();
                rows.add(new TrlRow(msgs, gold(p), pairs.get(i).id(), p == 0 ? "AB" : "BA"));
            }
        }
        return rows;
    }

    /** The reward function file for TRL, written by us (resource), with the verdict rule's name filled in. */
    static String rewardFile(String verdictRule) {
        try (InputStream in = GrpoStage.class.getResourceAsStream(REWARD_FILE)) {
            if (in == null) throw new IllegalStateException("missing resource " + REWARD_FILE);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("{verdict_rule}", verdictRule);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the TRL dataset and reward file next to {@code dir}'s other exports. */
    public static void exportTrl(List<Pair> pairs, JudgePrompts prompts, String verdictRule, Path dir) {
        PipelineIo.writeJsonl(dir.resolve(DATASET), trlRows(pairs, prompts));
        PipelineIo.writeText(dir.resolve(REWARD_FILE), rewardFile(verdictRule));
    }

    /** Embedded GRPO on the pairs (both orders) with the verifiable reward; returns the trained model's spec. */
    public static String train(EmbeddedGrpoTrainer trainer, List<Pair> pairs, JudgePrompts prompts, ParseRule rule,
                               List<PairwiseItem> validation, String baseModel, Path out, GrpoSettings s) {
        return trainer.train(tasks(pairs, prompts), reward(rule, s.consistency()),
                validation == null ? null : validationTasks(validation, prompts),
                (task, texts) -> correctness(rule, texts), baseModel, out, s);
    }

    /** Trains through the train stage (done marker in round-i/train) and returns the trained model's spec. */
    public String runInto(Path roundDir, Path pairsFile, String baseModel, TrainerBackend backend, boolean force) {
        return new TrainStage(settings, backend).withGrpo(this, pairsFile).runInto(roundDir, baseModel, force);
    }

    /** What the result depends on besides the base and the train settings (the train stage records these). */
    Map<String, String> inputs(Path pairsFile) {
        Map<String, String> in = new LinkedHashMap<>();
        in.put("pairs", PipelineIo.sha256(pairsFile));
        in.put("grpo_validation", validation == null ? "" : PipelineIo.hashOf(validation.stream().map(PairwiseItem::id).toList()));
        in.put("judge_prompt", PipelineIo.hashOf(List.of(String.valueOf(annotate.template()), annotate.verdictRule())));
        return in;
    }

    /** The files written besides model.json and stats.json, relative to round-i/train. */
    List<String> outputs() {
        List<String> o = new ArrayList<>(List.of("../" + DATASET, "../" + REWARD_FILE));
        if (!settings.backend().equals("external")) o.addAll(List.of(EmbeddedGrpoTrainer.STEPS, "grpo-reward.png", "grpo-kl.png"));
        return o;
    }

    /**
     * The GRPO phase of the train stage: exports the TRL dataset and reward file into the round,
     * then trains (embedded, or the external backend with {data} = grpo.jsonl) into round-i/model;
     * adds its counts to {@code stats}. Returns the trained model's spec.
     */
    String train(Path roundDir, Path pairsFile, String baseModel, TrainerBackend backend, Map<String, Object> stats) {
        List<Pair> pairs = PipelineIo.readJsonl(pairsFile, Pair.class);
        if (pairs.isEmpty()) throw new InputError(pairsFile + ": no pairs to train on");
        JudgePrompts prompts = JudgePrompts.named(annotate.template());
        ParseRule rule = ParseRule.named(annotate.verdictRule());
        exportTrl(pairs, prompts, rule.cliName(), roundDir);
        stats.put("pairs", pairs.size());
        Path out = roundDir.resolve("model");
        if (settings.backend().equals("external")) {
            Path validationFile = settings.validation() == null ? null : Path.of(settings.validation());
            String spec = backend.train(new TrainJob(roundDir.resolve(DATASET), validationFile, baseModel, out, settings.settings(),
                    dev.selftaught.train.TrainMethod.GRPO));
            stats.putAll(backend.lastStats());
            return spec;
        }
        GrpoSettings gs = GrpoSettings.from(settings.settings());
        EmbeddedGrpoTrainer trainer = new EmbeddedGrpoTrainer(progress);
        String spec = train(trainer, pairs, prompts, rule, validation, baseModel, out, gs);
        EmbeddedGrpoTrainer.Summary s = trainer.lastSummary();
        stats.put("steps", s.steps());
        stats.put("resumed", s.resumed());
        stats.put("group_size", gs.groupSize());
        stats.put("samples_per_step", gs.pairsPerStep() * 2 * gs.groupSize());
        stats.put("last_reward_mean", s.lastReward());
        stats.put("last_kl", s.lastKl());
        if (!Double.isNaN(s.lastAccuracy())) stats.put("last_val_accuracy", s.lastAccuracy());
        copySteps(out.resolve(EmbeddedGrpoTrainer.STEPS), roundDir.resolve("train"));
        return spec;
    }

    /** Copies the per-step statistics into the stage directory and draws the reward and KL charts there. */
    public static void copySteps(Path stepsFile, Path dir) {
        try {
            Files.createDirectories(dir);
            PipelineIo.writeText(dir.resolve(EmbeddedGrpoTrainer.STEPS), Files.readString(stepsFile, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + stepsFile, e);
        }
        writeCharts(EmbeddedGrpoTrainer.readSteps(stepsFile), dir);
    }

    /** grpo-reward.png (mean reward, validation accuracy) and grpo-kl.png (KL to the reference) per step. */
    public static void writeCharts(List<double[]> steps, Path dir) {
        List<double[][]> reward = List.<double[][]>of(points(steps, 1), points(steps, 3));
        writePng(dir.resolve("grpo-reward.png"), Charts.curves("GRPO: reward and validation accuracy", "Step", "Reward / accuracy",
                List.of("mean reward", "validation accuracy"), reward));
        writePng(dir.resolve("grpo-kl.png"), Charts.curves("GRPO: KL to the reference (k3)", "Step", "KL (nats/token)",
                List.of("KL"), List.<double[][]>of(points(steps, 2))));
    }

    private static double[][] points(List<double[]> steps, int column) {
        return steps.stream().filter(s -> !Double.isNaN(s[column])).map(s -> new double[] {s[0], s[column]}).toArray(double[][]::new);
    }

    private static void writePng(Path file, byte[] png) {
        try {
            dev.selftaught.data.AtomicFiles.write(file, png);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
