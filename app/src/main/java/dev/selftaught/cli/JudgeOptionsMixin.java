package dev.selftaught.cli;

import dev.selftaught.data.InputError;
import dev.selftaught.eval.EvalOptions;
import dev.selftaught.eval.JudgePrompts;
import dev.selftaught.eval.ParseRule;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by {@code eval} and {@code judge}: how a judgment is made and parsed. */
public final class JudgeOptionsMixin {

    @Option(names = "--samples", paramLabel = "K", defaultValue = "1",
            description = "Judgments per pair (and per order). 1 = one greedy call (temperature 0), as RewardBench; "
                    + "K > 1 = K sampled judgments and a majority vote (unparsed samples do not vote; equal top counts give no verdict, scored 0.5); "
                    + "--temperature and --top-p apply only when K > 1. Default: ${DEFAULT-VALUE}.")
    int samples;

    /** The method's sampling (0.7, 0.9) and the reference evaluation's 2048 tokens per judgment. */
    @Mixin SamplingOptions sampling = new SamplingOptions(0.7, 0.9, 2048);

    /** Seeds the random A/B order per item and the sampled judgments. */
    @Mixin SeedOption seed = new SeedOption(1);

    @Option(names = "--parse-rule", paramLabel = "R", defaultValue = "rewardbench",
            description = "Verdict parse rule: rewardbench ([[A]] anywhere wins, else [[B]], else no verdict), "
                    + "sft (both [[A]] and [[B]] = no verdict), dpo (more than one [[ = tie). Default: ${DEFAULT-VALUE}.")
    String parseRule;

    @Option(names = "--template", paramLabel = "FILE|NAME",
            description = "Judge prompt: pair-v2 (default), eval-plan, or a template file with slots {input}, {response_a}, {response_b} "
                    + "(or {conversation_a}, {conversation_b} to replace the multi-turn prompt); lines <<<system>>> and <<<user>>> split system and user messages. See docs/evaluation.md.")
    String template;

    EvalOptions toOptions(int concurrency) {
        if (samples < 1) throw new InputError("--samples must be >= 1, got " + samples);
        int maxTokens = sampling.maxTokens();
        double temperature = sampling.temperature(), topP = sampling.topP();
        if (maxTokens < 1) throw new InputError("--max-tokens must be >= 1, got " + maxTokens);
        if (temperature < 0) throw new InputError("--temperature must be >= 0, got " + temperature);
        if (topP <= 0 || topP > 1) throw new InputError("--top-p must be in (0, 1], got " + topP);
        if (template != null && !template.equals("pair-v2") && !template.equals("eval-plan") && !Path.of(template).toFile().isFile()) {
            throw new InputError("--template: " + template + " is neither pair-v2, eval-plan nor an existing file");
        }
        return EvalOptions.defaults()
                .withSamples(samples).withSampling(temperature, topP).withSeed(seed.value()).withMaxTokens(maxTokens)
                .withParseRule(ParseRule.named(parseRule)).withPrompts(JudgePrompts.named(template))
                .withConcurrency(concurrency);
    }
}
