package dev.selftaught.cli;

import dev.selftaught.pipeline.PairsSettings;
import dev.selftaught.pipeline.PairsStage;
import dev.selftaught.pipeline.StageSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code selftaught pairs}: synthetic preference pairs into RUN/pairs/. */
@Command(name = "pairs", mixinStandardHelpOptions = true,
        description = {"Make the synthetic pairs (stage 2): y_w = the model's answer to x; y_l = a good answer to a "
                + "modified instruction x' (default) or a directly worsened answer (the ablation). Made once, fixed for every round.",
                "Writes RUN/pairs/pairs.jsonl (id, instruction, modified_instruction, chosen, rejected, method) and RUN/pairs/stats.json."})
public final class PairsCommand implements Callable<Integer> {
    @Mixin RunDirOption run;

    @Option(names = "--model", required = true, paramLabel = "SPEC", description = "Generator model spec (the method used Mixtral 8x22B Instruct).")
    String model;

    @Option(names = "--instructions", paramLabel = "FILE", description = "Instructions JSONL. Default: RUN/select/instructions.jsonl.")
    Path instructions;

    @Option(names = "--method", defaultValue = PairsSettings.MODIFIED, paramLabel = "M",
            description = "modified_instruction (the method) or bad_response (the ablation). Default: ${DEFAULT-VALUE}.")
    String method;

    @Option(names = "--prompt", paramLabel = "FILE", description = "Prompt template for the second call, slots {input} and {generation}. Default: built-in.")
    String prompt;

    /** The method's values: temperature 0.7, top-p 0.9, 4096 new tokens per generation. */
    @Mixin SamplingOptions sampling = new SamplingOptions(PairsSettings.TEMPERATURE, PairsSettings.TOP_P, PairsSettings.MAX_TOKENS);

    /** Base seed of the generations. */
    @Mixin SeedOption seed = new SeedOption(PairsSettings.SEED);

    @Mixin RerunOptions rerun;

    @Mixin ModelOptionsMixin modelOptions;

    @Override
    public Integer call() {
        PairsSettings s = new PairsSettings(method, prompt, sampling.temperature(), sampling.topP(), sampling.maxTokens(), seed.value());
        Path runDir = run.dir();
        Path in = instructions != null ? instructions : runDir.resolve("select").resolve("instructions.jsonl");
        try (StageSession session = new StageSession(runDir, modelOptions.toOptions(), rerun.retryFailed())) {
            var r = new PairsStage(s, session.model(model), modelOptions.toOptions().concurrency(), StageProgress.FACTORY)
                    .runInto(runDir.resolve("pairs"), in, rerun.force());
            System.err.println("pairs: kept " + r.pairs().size() + " pairs; " + r.stats());
            System.out.println(runDir.resolve("pairs").resolve(PairsStage.OUTPUT));
        }
        return 0;
    }
}
