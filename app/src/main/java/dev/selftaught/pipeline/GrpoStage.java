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
 * <p>Writes {@code round-i/grpo.jsonl} and {@code round-i/grpo_reward.py} (the TRL GRPOTrainer
 * dataset and reward function, see docs/training.md), then trains: embedded (in-process GRPO,
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
    private final TrainerBackend external;
    private final EmbeddedGrpoTrainer.Listener progress;

    /**
     * @param validation pairwise items whose greedy accuracy (both orders) is reported every eval_every steps, or null
     * @param external   the backend for {@code train.backend: external}, or null for the embedded trainer
     */
    public GrpoStage(TrainSettings settings, AnnotateSettings annotate, List<PairwiseItem> validation, TrainerBackend external,
                     EmbeddedGrpoTrainer.Listener progress) {
        this.settings = settings;
        this.annotate = annotate;
        this.validation = validation;
        this.external = external;
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

    /** Trains (or reuses a finished result) and returns the trained model's spec. */
    public String runInto(Path roundDir, Path pairsFile, String baseModel, boolean force) {
        return Stage.run(new InDir(roundDir, pairsFile, baseModel), force);
    }

    private final class InDir implements Stage<String> {
        private final Path roundDir, pairsFile;
        private final String baseModel;

        InDir(Path roundDir, Path pairsFile, String baseModel) {
            this.roundDir = roundDir;
            this.pairsFile = pairsFile;
            this.baseModel = baseModel;
        }

        @Override public String name() { return "train"; }
        @Override public Path markerDir() { return roundDir.resolve("train"); }

        @Override public List<String> outputs() {
            List<String> o = new ArrayList<>(List.of("../" + TrainStage.RESULT, TrainStage.STATS, "../" + DATASET, "../" + REWARD_FILE));
            if (external == null) o.addAll(List.of(EmbeddedGrpoTrainer.STEPS, "grpo-reward.png", "grpo-kl.png"));
            return o;
        }

        @Override
        public Map<String, String> inputs() {
            Map<String, String> in = new LinkedHashMap<>();
            in.put("method", "grpo");
            in.put("pairs", PipelineIo.sha256(pairsFile));
            in.put("validation", validation == null ? "" : PipelineIo.hashOf(validation.stream().map(PairwiseItem::id).toList()));
            in.put("base", baseModel);
            in.put("settings", PipelineIo.hashOf(settings));
            in.put("judge_prompt", PipelineIo.hashOf(List.of(String.valueOf(annotate.template()), annotate.verdictRule())));
            return in;
        }

        @Override
        public String compute() {
            long t0 = System.nanoTime();
            List<Pair> pairs = PipelineIo.readJsonl(pairsFile, Pair.class);
            if (pairs.isEmpty()) throw new InputError(pairsFile + ": no pairs to train on");
            JudgePrompts prompts = JudgePrompts.named(annotate.template());
            ParseRule rule = ParseRule.named(annotate.verdictRule());
            exportTrl(pairs, prompts, rule.cliName(), roundDir);
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("method", "grpo");
            stats.put("pairs", pairs.size());
            String spec;
            Path out = roundDir.resolve("model");
            if (external != null) {
                Path validationFile = settings.validation() == null ? null : Path.of(settings.validation());
                spec = external.train(new TrainJob(roundDir.resolve(DATASET), validationFile, baseModel, out, settings.settings()));
                stats.putAll(external.lastStats());
            } else {
                GrpoSettings gs = GrpoSettings.from(settings.settings());
                EmbeddedGrpoTrainer trainer = new EmbeddedGrpoTrainer(progress);
                spec = train(trainer, pairs, prompts, rule, validation, baseModel, out, gs);
                EmbeddedGrpoTrainer.Summary s = trainer.lastSummary();
                stats.put("steps", s.steps());
                stats.put("resumed", s.resumed());
                stats.put("group_size", gs.groupSize());
                stats.put("samples_per_step", gs.pairsPerStep() * 2 * gs.groupSize());
                stats.put("last_reward_mean", s.lastReward());
                stats.put("last_kl", s.lastKl());
                if (!Double.isNaN(s.lastAccuracy())) stats.put("last_val_accuracy", s.lastAccuracy());
                copySteps(out.resolve(EmbeddedGrpoTrainer.STEPS), markerDir());
            }
            PipelineIo.writeJson(markerDir().resolve(TrainStage.STATS), stats);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("model", spec);
            result.put("method", "grpo");
            result.put("base", baseModel);
            result.put("seconds", (System.nanoTime() - t0) / 1e9);
            PipelineIo.writeJson(roundDir.resolve(TrainStage.RESULT), result);
            return spec;
        }

        @Override
        public String read() {
            return PipelineIo.readJson(roundDir.resolve(TrainStage.RESULT)).path("model").asText();
        }
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
