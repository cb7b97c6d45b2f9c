package dev.selftaught.cli;

import dev.selftaught.data.InputError;
import dev.selftaught.eval.EvalOptions;
import dev.selftaught.eval.EvalResult;
import dev.selftaught.eval.Evaluator;
import dev.selftaught.eval.Order;
import dev.selftaught.eval.bench.Benchmark;
import dev.selftaught.eval.bench.Benchmarks;
import dev.selftaught.llm.ModelStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code selftaught eval}: run a judge over a pairwise benchmark and score it the RewardBench way. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Run a judge over a pairwise benchmark; write DIR/metrics.json (accuracy per subset, RewardBench "
                + "categories (or those of the file's category column), overall, each with a 95% bootstrap interval over items, "
                + "parse-failure rate, position consistency) and DIR/judgments.jsonl (every raw judgment).",
                "Model calls are stored in the run directory's call store: a rerun is free and an interrupted run resumes."})
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--judge", required = true, paramLabel = "SPEC",
            description = "The judge model: http(s)://HOST:PORT/v1[#NAME] (several comma-separated) or SCHEME:LOCATION (e.g. embedded:PATH).")
    String judge;

    @Option(names = "--benchmark", required = true, paramLabel = "FILE|NAME",
            description = "A pairwise file (JSONL/JSON/Parquet with prompt or messages, chosen, rejected, optional subset, category and id; "
                    + "RewardBench's published file works as is; so does RewardBench 2's, scored by its best-of-4 and Ties rules) or a name: llmbar, llmbar-natural, llmbar-adver-neighbor, "
                    + "llmbar-adver-GPTInst, llmbar-adver-GPTOut, llmbar-adver-manual, mtbench-human, faireval, llmeval2, hep, hep-LANG, "
                    + "xstest, hh-harmless, pandalm, rewardbench-local, helpsteer2:[ATTRIBUTE:]FILE; several joined with commas.")
    String benchmark;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Directory for metrics.json and judgments.jsonl.")
    Path output;

    @Option(names = "--order", paramLabel = "ORDER", defaultValue = "random",
            description = "Where the chosen answer is shown: random (one seeded random order per item, RewardBench's protocol), "
                    + "both (each item in both orders; reports position consistency), fixed (chosen as A), fixed-b (chosen as B). Default: ${DEFAULT-VALUE}.")
    String order;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Run directory holding the call store (calls.sqlite) and its lock. Default: the --output directory.")
    Path runDir;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "Judge only the first N items (0 = all). Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--max-turns", paramLabel = "T", defaultValue = "2",
            description = "Items with more user turns are not judged and score 0.5, as in RewardBench (0 = judge all). Default: ${DEFAULT-VALUE}.")
    int maxTurns;

    @Option(names = "--prior-sets", paramLabel = "X",
            description = "RewardBench Prior Sets score as a fraction (e.g. 0.7085); adds overall_leaderboard = (2*(sum of categories) + X) / (2*categories + 1).")
    Double priorSets;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "The shared data folder for benchmark names. Default: $SELFTAUGHT_DATA, else ../shared/data.")
    Path dataDir;

    @Option(names = "--retry-failed", description = "Call the model again for calls the store recorded as failed.")
    boolean retryFailed;

    @Mixin JudgeOptionsMixin judgeOptions;
    @Mixin ModelOptionsMixin modelOptions;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        if (limit < 0) throw new InputError("--limit must be >= 0, got " + limit);
        if (maxTurns < 0) throw new InputError("--max-turns must be >= 0, got " + maxTurns);
        if (priorSets != null && (priorSets < 0 || priorSets > 1)) {
            throw new InputError("--prior-sets is a fraction in [0, 1] (e.g. 0.7085), got " + priorSets);
        }
        var modelOpts = modelOptions.toOptions();
        EvalOptions options = judgeOptions.toOptions(modelOpts.concurrency())
                .withOrder(Order.named(order)).withMaxTurns(maxTurns).withPriorSets(priorSets);
        Benchmark bench = Benchmarks.load(benchmark, Benchmarks.dataDir(dataDir)).limit(limit);
        err.printf(Locale.ROOT, "eval: %d pairs from %s (%s)%n", bench.items().size(), benchmark, bench.subsetCounts());
        bench.skipped().forEach((reason, n) -> err.printf(Locale.ROOT, "eval: skipped %d records: %s%n", n, reason));
        EvalResult result;
        ModelStats stats;
        try (JudgeModels m = new JudgeModels(judge, modelOpts, runDir != null ? runDir : output, retryFailed);
             EvalProgress progress = new EvalProgress("eval")) {
            result = Evaluator.evaluate(m.model, bench.items(), options.withProgress(progress));
            stats = m.model.stats();
        }
        result.writeTo(output, judge, benchmark);
        printSummary(out, result, stats);
        out.println("wrote " + output.resolve("metrics.json") + " and " + output.resolve("judgments.jsonl"));
        out.flush();
        return 0;
    }

    static void printSummary(PrintWriter out, EvalResult r, ModelStats stats) {
        var ci = r.intervals();
        out.println("subset                      n   accuracy   95% interval");
        r.subsets().forEach((k, v) -> out.printf(Locale.ROOT, "%-24s %5d   %6.1f   %s%n", k, v.n(), 100 * v.accuracy(),
                ci == null ? "" : interval(ci.subsetCi().get(k))));
        r.categories().forEach((k, v) -> out.printf(Locale.ROOT, "category %-15s        %6.1f   %s%n", k, 100 * v,
                ci == null ? "" : interval(ci.categoryCi().get(k))));
        out.printf(Locale.ROOT, "overall (%s)%s %6.1f   %s%n", r.overallBasis(), " ".repeat(Math.max(1, 19 - r.overallBasis().length())),
                100 * r.overall(), ci == null ? "" : interval(ci.overallCi()));
        if (ci != null) out.println("intervals: " + dev.selftaught.eval.Bootstrap.METHOD);
        if (r.overallLeaderboard() != null) out.printf(Locale.ROOT, "overall (leaderboard, prior sets) %6.1f%n", 100 * r.overallLeaderboard());
        if (r.positionConsistency() != null) {
            out.printf(Locale.ROOT, "position consistency             %6.1f  (chosen as A %.1f, as B %.1f)%n",
                    100 * r.positionConsistency(), 100 * r.accuracyChosenA(), 100 * r.accuracyChosenB());
        }
        out.printf(Locale.ROOT, "parse failures: %.1f%% of %d judge samples; undecided judgments: %.1f%%; not judged: %d%n",
                100 * r.parseFailureRate(), r.samples(), 100 * r.unresolvedRate(), r.notJudged());
        out.printf(Locale.ROOT, "model calls: %d new, %d samples from the store, %d tokens%n",
                stats.calls(), stats.samplesFromStore(), stats.totalTokens());
    }

    private static String interval(dev.selftaught.eval.Bootstrap.Interval i) {
        return i == null ? "" : String.format(Locale.ROOT, "[%.1f, %.1f]", 100 * i.lo(), 100 * i.hi());
    }
}
