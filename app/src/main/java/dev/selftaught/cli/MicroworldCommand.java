package dev.selftaught.cli;

import dev.selftaught.microworld.Benchmark;
import dev.selftaught.microworld.SeedPretrainer;
import dev.selftaught.microworld.SeedRecipe;
import dev.selftaught.microworld.WorldFiles;
import dev.selftaught.data.InputError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code selftaught microworld}: the embedded micro-world's seed model and benchmark. */
@Command(name = "microworld", mixinStandardHelpOptions = true,
        description = "The micro-world behind `selftaught demo`: pre-train its seed model, write its benchmark.",
        subcommands = {MicroworldCommand.Pretrain.class, MicroworldCommand.WriteBenchmark.class, MicroworldCommand.AuditPairs.class,
                MicroworldCommand.AuditJudgments.class})
public final class MicroworldCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(System.out); }

    static SeedRecipe recipe(String name) {
        return switch (name) {
            case "standard" -> SeedRecipe.standard();
            case "tiny" -> SeedRecipe.tiny();
            case "large" -> SeedRecipe.large();
            default -> throw new InputError("--recipe must be standard, large or tiny, got '" + name + "'");
        };
    }

    /** A generator seed from the command line: decimal or 0x hex. */
    static long parseSeed(String text) {
        try {
            return Long.decode(text.strip());
        } catch (NumberFormatException e) {
            throw new InputError("the seed must be an integer (decimal or 0x hex), got '" + text + "'");
        }
    }

    static Path cache(Path given) { return given != null ? given : SeedPretrainer.defaultCacheRoot(); }

    @Command(name = "pretrain", mixinStandardHelpOptions = true,
            description = {"Pre-train the micro-world seed model from scratch (deterministic: the same recipe gives the same bytes).",
                    "The checkpoint (llama2.c model.bin + tok<V>.bin + recipe.json) goes to CACHE/microworld-seed-<recipe hash>/;"
                            + " an existing one is reused unless --force. Prints the model spec (embedded:DIR) on stdout."})
    static final class Pretrain implements Callable<Integer> {
        @Option(names = "--recipe", defaultValue = "large", paramLabel = "NAME",
                description = "standard (the seed of demo --quick), large (the same model on ten times the corpus: the seed of the full demo) or tiny (a 0.13M-parameter seed for experiments; too weak to make usable pairs). Default: ${DEFAULT-VALUE}.")
        String recipe;

        @picocli.CommandLine.Mixin CacheDirOption cacheDir;

        @Option(names = "--force", description = "Train again even when the cached seed exists (it is replaced atomically).")
        boolean force;

        @Override
        public Integer call() {
            SeedRecipe r = recipe(recipe);
            SeedPretrainer.Result res = SeedPretrainer.ensure(r, cache(cacheDir.dir()), force, System.err);
            if (res.cached()) System.err.println("pretrain: seed already cached in " + res.dir() + " (use --force to train again)");
            System.out.println(res.spec());
            return 0;
        }
    }

    @Command(name = "benchmark", mixinStandardHelpOptions = true,
            description = {"Write the micro-benchmark (test split, scoring only) and its validation split (checkpoint selection)",
                    "as generic pairwise JSONL: id, prompt, chosen, rejected, subset, category."})
    static final class WriteBenchmark implements Callable<Integer> {
        @Option(names = "--output", required = true, paramLabel = "DIR", description = "Directory for microbench.jsonl and validation.jsonl.")
        Path output;

        @Option(names = "--per-category", paramLabel = "N", defaultValue = "100",
                description = "Test pairs per category (a prefix of the split, at most 100). Default: ${DEFAULT-VALUE}.")
        int perCategory;

        @Option(names = "--seed", paramLabel = "S",
                description = "Generator seed of the test split (decimal or 0x hex). Default: the frozen benchmark's seed, "
                        + "0x7E575EED. Any other seed draws a fresh benchmark from the same held-out generators, to check that results hold on new samples.")
        String seed;

        @Override
        public Integer call() {
            if (perCategory < 1 || perCategory > Benchmark.TEST_PER_CATEGORY) {
                throw new InputError("--per-category must be in 1.." + Benchmark.TEST_PER_CATEGORY + ", got " + perCategory);
            }
            long s = seed == null ? Benchmark.TEST_SEED : parseSeed(seed);
            Path t = WorldFiles.writePairs(output.resolve("microbench.jsonl"), Benchmark.test(s, perCategory));
            Path v = WorldFiles.writePairs(output.resolve("validation.jsonl"), Benchmark.validation(Benchmark.VALIDATION_PER_CATEGORY));
            System.err.printf("benchmark: %d test pairs in %s, %d validation pairs in %s%n", 4 * perCategory, t,
                    4 * Benchmark.VALIDATION_PER_CATEGORY, v);
            return 0;
        }
    }

    @Command(name = "audit-pairs", mixinStandardHelpOptions = true,
            description = {"Check synthetic pairs (a run's pairs/pairs.jsonl) with the micro-world checker: how often y_w is correct,",
                    "how often y_l answers x' correctly, and how many pairs the checker orders as the construction does."})
    static final class AuditPairs implements Callable<Integer> {
        @picocli.CommandLine.Parameters(paramLabel = "PAIRS", description = "pairs.jsonl written by the pairs stage.")
        Path pairs;

        @Override
        public Integer call() {
            if (!java.nio.file.Files.isRegularFile(pairs)) throw new InputError(pairs + ": no such file");
            var ps = dev.selftaught.pipeline.PipelineIo.readJsonl(pairs, dev.selftaught.pipeline.Records.Pair.class);
            System.out.println(dev.selftaught.microworld.PairAudit.of(ps).describe());
            return 0;
        }
    }

    @Command(name = "audit-judgments", mixinStandardHelpOptions = true,
            description = {"Measure each link of the mechanism on reasoned judgments: is the judge's Check a correct answer",
                    "(or a copy of answer A or B), do its marks follow from comparing the check with each answer, does the",
                    "verdict follow the marks or a length/position reason, and how often is it right (given a right or wrong check).",
                    "Per family (pairs) or benchmark subset, for all samples and for the kept ones (annotation files)."})
    static final class AuditJudgments implements Callable<Integer> {
        @picocli.CommandLine.Parameters(paramLabel = "JUDGMENTS",
                description = "A round's annotations.jsonl, or an evaluation's judgments.jsonl (e.g. round-0/eval/microbench/judgments.jsonl).")
        Path judgments;

        @Option(names = "--pairs", required = true, paramLabel = "FILE",
                description = "The labelled pairs those judgments judged: the run's pairs/pairs.jsonl, or the benchmark file (benchmark/microbench.jsonl).")
        Path pairs;

        @Override
        public Integer call() {
            for (Path f : java.util.List.of(judgments, pairs))
                if (!java.nio.file.Files.isRegularFile(f)) throw new InputError(f + ": no such file");
            var chains = dev.selftaught.microworld.JudgmentAudit.read(judgments, pairs);
            System.out.print(dev.selftaught.microworld.JudgmentAudit.table("all samples (% of chains)",
                    dev.selftaught.microworld.JudgmentAudit.tally(chains, false)));
            if (chains.stream().anyMatch(c -> !c.kept()))
                System.out.print("\n" + dev.selftaught.microworld.JudgmentAudit.table("kept by rejection sampling (% of chains)",
                        dev.selftaught.microworld.JudgmentAudit.tally(chains, true)));
            System.out.println("\n" + dev.selftaught.microworld.JudgmentAudit.LEGEND);
            return 0;
        }
    }
}
