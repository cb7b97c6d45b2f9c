package dev.selftaught.cli;

import dev.selftaught.pipeline.AnnotateSettings;
import dev.selftaught.pipeline.AnnotateStage;
import dev.selftaught.pipeline.StageSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code selftaught annotate}: one round of judgment annotation into RUN/round-i/. */
@Command(name = "annotate", mixinStandardHelpOptions = true,
        description = {"Annotate the fixed pairs with a judge (stage 3): N sampled judgments per pair and order, "
                + "rejection sampling (one random correct judgment kept), optional majority filter, A/B balancing.",
                "Writes RUN/round-I/annotations.jsonl, sft.jsonl (TRL messages), sft_fairseq2.jsonl (src/tgt), "
                + "optionally dpo.jsonl and dpo_fairseq2.jsonl, and stats.json."})
public final class AnnotateCommand implements Callable<Integer> {
    @Option(names = "--run-dir", required = true, paramLabel = "DIR", description = "Run directory (locked while in use).")
    Path runDir;

    @Option(names = "--judge", required = true, paramLabel = "SPEC", description = "Judge model spec (round 1: the annotator; later: the previous round's model).")
    String judge;

    @Option(names = "--round", defaultValue = "1", paramLabel = "I", description = "Round number; output goes to RUN/round-I. Default: ${DEFAULT-VALUE}.")
    int round;

    @Option(names = "--pairs", paramLabel = "FILE", description = "Pairs JSONL. Default: RUN/pairs/pairs.jsonl.")
    Path pairs;

    @Option(names = "--samples", defaultValue = "" + AnnotateSettings.SAMPLES, description = "Judgments sampled per pair and order. Default: ${DEFAULT-VALUE} (spec).")
    int samples;

    @Option(names = "--temperature", defaultValue = "" + AnnotateSettings.TEMPERATURE, description = "Default: ${DEFAULT-VALUE} (spec).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "" + AnnotateSettings.TOP_P, description = "Default: ${DEFAULT-VALUE} (spec).")
    double topP;

    @Option(names = "--max-tokens", defaultValue = "" + AnnotateSettings.MAX_TOKENS, description = "Most tokens per judgment. Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--order", defaultValue = AnnotateSettings.ORDER, paramLabel = "both|random|fixed",
            description = "Show each pair in both A/B orders (released pipeline), one seeded random order, or a fixed one. Default: ${DEFAULT-VALUE}.")
    String order;

    @Option(names = "--fixed-order", defaultValue = AnnotateSettings.FIXED_ORDER, paramLabel = "AB|BA", description = "With --order fixed: AB = chosen shown as A. Default: ${DEFAULT-VALUE}.")
    String fixedOrder;

    @Option(names = "--rule", defaultValue = AnnotateSettings.VERDICT_RULE, paramLabel = "sft|dpo|rewardbench",
            description = "Verdict parse rule for training labels (spec 3.3). Default: ${DEFAULT-VALUE}.")
    String rule;

    @Option(names = "--no-balance", description = "Do not truncate the larger of the A-better / B-better groups.")
    boolean noBalance;

    @Option(names = "--majority", defaultValue = "0", paramLabel = "F",
            description = "Keep a pair-order only if at least this fraction of its samples is correct (0 = off). Default: ${DEFAULT-VALUE}.")
    double majority;

    @Option(names = "--template", paramLabel = "NAME|FILE", description = "Judge prompt: pair-v2 (default), eval-plan, or a template file.")
    String template;

    @Option(names = "--chat-format", defaultValue = AnnotateSettings.CHAT_FORMAT, paramLabel = "llama3|plain", description = "How fairseq2 'src' renders the chat prompt. Default: ${DEFAULT-VALUE}.")
    String chatFormat;

    @Option(names = "--dpo", description = "Also write DPO pairs (correct vs incorrect judgments, spec 2.7).")
    boolean dpo;

    @Option(names = "--dpo-rule", defaultValue = AnnotateSettings.DPO_RULE, description = "Parse rule for DPO positives/negatives. Default: ${DEFAULT-VALUE}.")
    String dpoRule;

    @Option(names = "--dpo-pairs", defaultValue = "" + AnnotateSettings.DPO_PAIRS, description = "(positive, negative) combinations kept per pair-order. Default: ${DEFAULT-VALUE}.")
    int dpoPairs;

    @Option(names = "--seed", defaultValue = "" + AnnotateSettings.SEED, description = "Seed of sampling, rejection sampling, order choice and balancing. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--force", description = "Recompute even if this round was annotated from other inputs.")
    boolean force;

    @Option(names = "--retry-failed", description = "Try again model calls the call store recorded as failed.")
    boolean retryFailed;

    @Mixin ModelOptionsMixin modelOptions;

    @Override
    public Integer call() {
        AnnotateSettings s = new AnnotateSettings(samples, temperature, topP, maxTokens, order, fixedOrder, rule, !noBalance,
                majority, template, chatFormat, dpo, dpoRule, dpoPairs, seed);
        Path in = pairs != null ? pairs : runDir.resolve("pairs").resolve("pairs.jsonl");
        try (StageSession session = new StageSession(runDir, modelOptions.toOptions(), retryFailed)) {
            var stats = new AnnotateStage(s, session.model(judge), round, modelOptions.toOptions().concurrency(), StageProgress.FACTORY)
                    .runInto(runDir.resolve("round-" + round), in, force);
            System.err.println("annotate round " + round + ": " + stats.get("pair_orders") + "; samples " + stats.get("samples"));
            System.out.println(runDir.resolve("round-" + round).resolve(AnnotateStage.SFT));
        }
        return 0;
    }
}
