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
    @Option(names = "--run-dir", required = true, paramLabel = "DIR", description = "Run directory (locked while in use).")
    Path runDir;

    @Option(names = "--model", required = true, paramLabel = "SPEC", description = "Generator model spec (the method used Mixtral 8x22B Instruct).")
    String model;

    @Option(names = "--instructions", paramLabel = "FILE", description = "Instructions JSONL. Default: RUN/select/instructions.jsonl.")
    Path instructions;

    @Option(names = "--method", defaultValue = PairsSettings.MODIFIED, paramLabel = "M",
            description = "modified_instruction (the method) or bad_response (the ablation). Default: ${DEFAULT-VALUE}.")
    String method;

    @Option(names = "--prompt", paramLabel = "FILE", description = "Prompt template for the second call, slots {input} and {generation}. Default: built-in.")
    String prompt;

    @Option(names = "--temperature", defaultValue = "" + PairsSettings.TEMPERATURE, description = "Sampling temperature. Default: ${DEFAULT-VALUE} (spec).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "" + PairsSettings.TOP_P, description = "Nucleus mass. Default: ${DEFAULT-VALUE} (spec).")
    double topP;

    @Option(names = "--max-tokens", defaultValue = "" + PairsSettings.MAX_TOKENS, description = "Most new tokens per generation. Default: ${DEFAULT-VALUE} (spec).")
    int maxTokens;

    @Option(names = "--seed", defaultValue = "" + PairsSettings.SEED, description = "Base seed of the generations. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--force", description = "Recompute even if RUN/pairs was made from other inputs.")
    boolean force;

    @Option(names = "--retry-failed", description = "Try again model calls the call store recorded as failed.")
    boolean retryFailed;

    @Mixin ModelOptionsMixin modelOptions;

    @Override
    public Integer call() {
        PairsSettings s = new PairsSettings(method, prompt, temperature, topP, maxTokens, seed);
        Path in = instructions != null ? instructions : runDir.resolve("select").resolve("instructions.jsonl");
        try (StageSession session = new StageSession(runDir, modelOptions.toOptions(), retryFailed)) {
            var r = new PairsStage(s, session.model(model), modelOptions.toOptions().concurrency(), StageProgress.FACTORY)
                    .runInto(runDir.resolve("pairs"), in, force);
            System.err.println("pairs: kept " + r.pairs().size() + " pairs; " + r.stats());
            System.out.println(runDir.resolve("pairs").resolve(PairsStage.OUTPUT));
        }
        return 0;
    }
}
