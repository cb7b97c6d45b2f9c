package dev.selftaught.cli;

import dev.selftaught.llm.SamplingParams;
import dev.selftaught.pipeline.SelectSettings;
import dev.selftaught.pipeline.SelectStage;
import dev.selftaught.pipeline.StageSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code selftaught select}: pick the instructions x from a pool into RUN/select/. */
@Command(name = "select", mixinStandardHelpOptions = true,
        description = {"Select instructions from a pool (stage 1): normalise, drop empty / too long / duplicate ones, "
                + "optionally keep only some LLM-assigned categories, sample to a maximum with a seed.",
                "Writes RUN/select/instructions.jsonl (id, instruction, source, category) and RUN/select/stats.json."})
public final class SelectCommand implements Callable<Integer> {
    @Option(names = "--run-dir", required = true, paramLabel = "DIR", description = "Run directory (created if missing; locked while in use).")
    Path runDir;

    @Option(names = "--pool", required = true, paramLabel = "FILE",
            description = "Instruction pool: JSONL, JSON or Parquet rows with an 'instruction' or 'prompt' field, chat 'messages' or a WildChat 'conversation'.")
    Path pool;

    @Option(names = "--field", paramLabel = "NAME", description = "Read the instruction from this field only (default: instruction, prompt, messages, conversation).")
    String field;

    @Option(names = "--turn", defaultValue = SelectSettings.TURN, paramLabel = "first|last",
            description = "Which user turn of a conversation is the instruction. Default: ${DEFAULT-VALUE} (as the released data).")
    String turn;

    @Option(names = "--min-chars", defaultValue = "" + SelectSettings.MIN_CHARS, paramLabel = "N", description = "Drop shorter instructions. Default: ${DEFAULT-VALUE}.")
    int minChars;

    @Option(names = "--max-chars", defaultValue = "" + SelectSettings.MAX_CHARS, paramLabel = "N", description = "Drop longer instructions (characters after normalising). Default: ${DEFAULT-VALUE}.")
    int maxChars;

    @Option(names = "--dedup", defaultValue = SelectSettings.DEDUP, paramLabel = "exact|loose",
            description = "Duplicate test: exact text, or loose (also ignoring case and whitespace). Default: ${DEFAULT-VALUE}.")
    String dedup;

    @Option(names = "--categorize", description = "Ask --model for each instruction's category and keep only --keep categories.")
    boolean categorize;

    @Option(names = "--model", paramLabel = "SPEC", description = "Categoriser model spec (embedded:PATH, http://HOST/v1#NAME, ...); needed with --categorize.")
    String model;

    @Option(names = "--categories", split = ",", paramLabel = "LIST", description = "Category names offered to the model (comma-separated). Default: the built-in list (reasoning, coding, math, ...).")
    List<String> categories;

    @Option(names = "--keep", split = ",", paramLabel = "LIST", description = "Categories kept. Default: reasoning (as in the method).")
    List<String> keep;

    @Option(names = "--category-prompt", paramLabel = "FILE", description = "Categorisation prompt template with {categories} and {instruction}. Default: built-in.")
    String categoryPrompt;

    @Option(names = "--max-count", defaultValue = "" + SelectSettings.MAX_COUNT, paramLabel = "N", description = "Keep at most N instructions by a seeded sample (0 = all). Default: ${DEFAULT-VALUE}.")
    int maxCount;

    @Option(names = "--seed", defaultValue = "" + SelectSettings.SEED, paramLabel = "S", description = "Seed of the sample. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--force", description = "Recompute even if RUN/select was made from other inputs.")
    boolean force;

    @Option(names = "--retry-failed", description = "Try again model calls the call store recorded as failed.")
    boolean retryFailed;

    @Mixin ModelOptionsMixin modelOptions;

    @Override
    public Integer call() {
        SelectSettings s = new SelectSettings(pool.toString(), field, turn, minChars, maxChars, dedup, categorize, categories,
                keep, categoryPrompt, maxCount, seed);
        try (StageSession session = new StageSession(runDir, modelOptions.toOptions(), retryFailed)) {
            var cat = categorize ? session.model(require(model)) : null;
            var r = new SelectStage(s, cat, SamplingParams.greedy(32), modelOptions.toOptions().concurrency(), StageProgress.FACTORY)
                    .runInto(runDir.resolve("select"), cat == null ? null : cat.identity(), force);
            System.err.println("select: kept " + r.instructions().size() + " instructions; " + r.stats());
            System.out.println(runDir.resolve("select").resolve(SelectStage.OUTPUT));
        }
        return 0;
    }

    static String require(String model) {
        if (model == null) throw new dev.selftaught.data.InputError("--model is required with --categorize");
        return model;
    }
}
