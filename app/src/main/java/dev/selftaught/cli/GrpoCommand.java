package dev.selftaught.cli;

import dev.selftaught.eval.JudgePrompts;
import dev.selftaught.eval.PairwiseItem;
import dev.selftaught.eval.ParseRule;
import dev.selftaught.eval.bench.Benchmarks;
import dev.selftaught.pipeline.AnnotateSettings;
import dev.selftaught.pipeline.GrpoStage;
import dev.selftaught.pipeline.PipelineIo;
import dev.selftaught.pipeline.Records.Pair;
import dev.selftaught.train.EmbeddedGrpoTrainer;
import dev.selftaught.train.GrpoProgress;
import dev.selftaught.train.GrpoSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code selftaught train-grpo}: trains a judge online by GRPO on synthetic pairs (embedded, CPU). */
@Command(name = "train-grpo", mixinStandardHelpOptions = true,
        description = {
                "Train an LLM judge online by GRPO (as Meta's J1) on synthetic pairs (pairs.jsonl: instruction, chosen = y_w, rejected = y_l): "
                        + "each pair is shown in both orders, G judgments are sampled per order from the current weights, a judgment earns 1 "
                        + "when its parsed verdict is the one known by construction (else 0), advantages are normalised within each group, "
                        + "and the clipped policy-gradient loss with a KL term to the starting model is minimised. Full fine-tuning, CPU.",
                "Settings (--set KEY=VALUE): group_size (8), pairs_per_step (4), epochs (1), updates_per_batch (1), clip (0.2), kl_beta (0.04), "
                        + "consistency (0: bonus when the other order's same-index judgment is also correct), temperature (1), max_tokens (512), "
                        + "batch_tokens (4096), decode_sequences (16), lr (1e-6), warmup (0), final_lr_ratio, weight_decay, grad_clip, seed, "
                        + "threads, eval_every (10), checkpoint_every (1), dtype.",
                "Writes OUT/grpo.jsonl and OUT/grpo_reward.py (the TRL GRPOTrainer dataset and reward function; --export-only stops there), "
                        + "then an HF checkpoint in OUT (embedded:OUT), OUT/grpo-steps.jsonl (one line per step) and the charts "
                        + "OUT/grpo-reward.png and OUT/grpo-kl.png. Run the same command again to resume from OUT/train-state."})
public final class GrpoCommand implements Callable<Integer> {
    @Option(names = "--base", paramLabel = "SPEC", description = "Judge to start from (also the KL reference): embedded:PATH or a path.")
    String base;
    @Option(names = "--pairs", required = true, paramLabel = "FILE", description = "Synthetic pairs JSONL (the pairs stage's pairs.jsonl).")
    Path pairs;
    @Option(names = {"--output", "--out"}, required = true, paramLabel = "DIR", description = "Output directory: checkpoint, state, steps, charts, TRL export; --out is an alias.")
    Path out;
    @Option(names = "--validation", paramLabel = "NAME|FILE", description = "Pairwise benchmark whose greedy accuracy (both orders) is reported every eval_every steps.")
    String validation;
    @Mixin DataDirOption dataDir;
    @Option(names = "--template", paramLabel = "NAME|FILE", description = "Judge prompt: pair-v2 (default), eval-plan, or a template file.")
    String template;
    @Option(names = "--parse-rule", defaultValue = AnnotateSettings.VERDICT_RULE, paramLabel = "sft|dpo|rewardbench",
            description = "Verdict parsing rule of the reward. Default: ${DEFAULT-VALUE}.")
    String parseRule;
    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "GRPO setting (repeatable), e.g. --set group_size=8 --set lr=1e-6.")
    Map<String, String> set = new LinkedHashMap<>();
    @Option(names = "--export-only", description = "Only write the TRL dataset and reward file, do not train.")
    boolean exportOnly;

    @Override
    public Integer call() {
        GrpoSettings s = GrpoSettings.from(set);
        ParseRule rule = ParseRule.named(parseRule);
        JudgePrompts prompts = JudgePrompts.named(template == null ? "pair-v2" : template);
        List<Pair> rows = PipelineIo.readJsonl(pairs, Pair.class);
        if (rows.isEmpty()) throw new dev.selftaught.data.InputError(pairs + ": no pairs to train on");
        GrpoStage.exportTrl(rows, prompts, rule.cliName(), out);
        if (exportOnly) {
            System.out.println("wrote " + out.resolve(GrpoStage.DATASET) + " and " + out.resolve(GrpoStage.REWARD_FILE));
            return Main.EXIT_OK;
        }
        if (base == null) throw new dev.selftaught.data.InputError("--base is required unless --export-only");
        List<PairwiseItem> val = validation == null ? null : Benchmarks.load(validation, Benchmarks.dataDir(dataDir.dir())).items();
        EmbeddedGrpoTrainer trainer;
        try (GrpoProgress progress = new GrpoProgress(System.err, "grpo")) {
            trainer = new EmbeddedGrpoTrainer(progress);
            GrpoStage.train(trainer, rows, prompts, rule, val, base, out, s);
        }
        GrpoStage.writeCharts(EmbeddedGrpoTrainer.readSteps(out.resolve(EmbeddedGrpoTrainer.STEPS)), out);
        EmbeddedGrpoTrainer.Summary r = trainer.lastSummary();
        PrintStream o = System.out;
        o.printf(Locale.ROOT, "trained %s by GRPO: %d pairs, %d steps%s, %,d parameters, last step reward %.3f, KL %.2e%s, %s%n",
                r.modelSpec(), r.tasks(), r.steps(), r.resumed() ? " (resumed)" : "", r.trainableParameters(), r.lastReward(), r.lastKl(),
                Double.isNaN(r.lastAccuracy()) ? "" : String.format(Locale.ROOT, ", validation accuracy %.3f", r.lastAccuracy()),
                Progress.duration(r.seconds()));
        return Main.EXIT_OK;
    }
}
