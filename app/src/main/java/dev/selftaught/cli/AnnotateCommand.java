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
                + "rejection sampling (one random correct judgment kept), optional majority filter, A/B balancing. "
                + "The judge is the annotator in round 1 and the previous round's model after that.",
                "Writes RUN/round-I/annotations.jsonl, sft.jsonl (TRL messages), sft_fairseq2.jsonl (src/tgt), "
                + "optionally dpo.jsonl and dpo_fairseq2.jsonl, and stats.json."})
public final class AnnotateCommand implements Callable<Integer> {
    @Mixin RunDirOption run;

    /** Round 1: the annotator; later rounds: the previous round's model. */
    @Mixin JudgeSpecOption judge;

    @Mixin RoundOption roundOption;

    @Option(names = "--pairs", paramLabel = "FILE", description = "Pairs JSONL. Default: RUN/pairs/pairs.jsonl.")
    Path pairs;

    @Option(names = "--samples", defaultValue = "" + AnnotateSettings.SAMPLES, description = "Judgments sampled per pair and order. Default: ${DEFAULT-VALUE} (spec).")
    int samples;

    /** The method's values (AnnotateSettings): temperature 0.7, top-p 0.9, 2048 tokens per judgment. */
    @Mixin SamplingOptions sampling = new SamplingOptions(AnnotateSettings.TEMPERATURE, AnnotateSettings.TOP_P, AnnotateSettings.MAX_TOKENS);

    @Option(names = "--order", defaultValue = AnnotateSettings.ORDER, paramLabel = "both|random|fixed",
            description = "Show each pair in both A/B orders (released pipeline), one seeded random order, or a fixed one. Default: ${DEFAULT-VALUE}.")
    String order;

    @Option(names = "--fixed-order", defaultValue = AnnotateSettings.FIXED_ORDER, paramLabel = "AB|BA", description = "With --order fixed: AB = chosen shown as A. Default: ${DEFAULT-VALUE}.")
    String fixedOrder;

    @Option(names = {"--parse-rule", "--rule"}, defaultValue = AnnotateSettings.VERDICT_RULE, paramLabel = "sft|dpo|rewardbench",
            description = "Verdict parse rule for training labels (spec 3.3); --rule is an alias. Default: ${DEFAULT-VALUE}.")
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

    /** Seeds sampling, rejection sampling, order choice and balancing. */
    @Mixin SeedOption seed = new SeedOption(AnnotateSettings.SEED);

    @Mixin RerunOptions rerun;

    @Mixin ModelOptionsMixin modelOptions;

    @Override
    public Integer call() {
        AnnotateSettings s = new AnnotateSettings(samples, sampling.temperature(), sampling.topP(), sampling.maxTokens(), order,
                fixedOrder, rule, !noBalance, majority, template, chatFormat, dpo, dpoRule, dpoPairs, seed.value());
        Path runDir = run.dir();
        int round = roundOption.value();
        Path in = pairs != null ? pairs : runDir.resolve("pairs").resolve("pairs.jsonl");
        try (StageSession session = new StageSession(runDir, modelOptions.toOptions(), rerun.retryFailed())) {
            var stats = new AnnotateStage(s, session.model(judge.spec()), round, modelOptions.toOptions().concurrency(), StageProgress.FACTORY)
                    .runInto(runDir.resolve("round-" + round), in, rerun.force());
            System.err.println("annotate round " + round + ": " + stats.pairOrders().toJson() + "; samples " + stats.samples().toJson());
            System.out.println(runDir.resolve("round-" + round).resolve(AnnotateStage.SFT));
        }
        return 0;
    }
}
