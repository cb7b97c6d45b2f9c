package dev.selftaught.cli;

import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.microworld.Demo;
import dev.selftaught.microworld.DemoPlan;
import dev.selftaught.microworld.DemoReplicates;
import dev.selftaught.microworld.SeedPretrainer;
import dev.selftaught.pipeline.RunLoop;
import dev.selftaught.pipeline.TrainSettings;
import dev.selftaught.train.EmbeddedTrainer;
import dev.selftaught.train.TrainerBackend;
import dev.selftaught.engine.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code selftaught demo}: the whole method in the micro-world, on the CPU. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the whole Self-Taught Evaluator method in the embedded micro-world, on this CPU:",
                "pre-train (or reuse) a tiny seed model, then pool -> select -> pairs -> K rounds of annotate -> train from seed -> evaluate,",
                "plus the baselines (independent labelled data, direct bad responses on equal rows, majority vote), and print the paper-style table.",
                "Resumable: run the same command again after an interruption."})
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--rounds", paramLabel = "K", defaultValue = "3", description = "Self-training rounds. Default: ${DEFAULT-VALUE} (--quick: 1).")
    int rounds;

    @Option(names = "--output", paramLabel = "DIR", description = "Run directory. Default: demo-run (--quick: demo-quick) in the current directory.")
    Path output;

    @Option(names = "--quick", description = "A smaller world and one round (same seed): a few minutes once the seed is cached (what CI runs).")
    boolean quick;

    @picocli.CommandLine.Mixin CacheDirOption cacheDir;

    @Option(names = "--generator", paramLabel = "SPEC",
            description = "Model that writes the pairs (y_w, x', y_l) instead of the seed, e.g. microworld:oracle (a generator that knows the world, "
                    + "the analogue of the paper's strong generator) or any model spec. Default: the seed.")
    String generator;

    @Option(names = "--recipe", paramLabel = "NAME",
            description = "Seed recipe: standard (0.94M parameters, 0.56M corpus tokens), large (the same model, 5.6M corpus tokens)"
                    + " or tiny (experiments only). Default: large for the full demo, standard with --quick.")
    String recipe;

    @Option(names = "--categories", paramLabel = "TOPIC", split = ",",
            description = "Keep only pool instructions the seed categorises as these topics (math, text, lists, units, logic, safety),"
                    + " as the paper keeps only its reasoning category. Default: all topics.")
    List<String> categories;

    @Option(names = "--fresh-benchmark-seed", paramLabel = "S",
            description = "Also evaluate every judge on a benchmark drawn from this generator seed (decimal or 0x hex) by the same held-out"
                    + " generators as the frozen one (`selftaught microworld benchmark --seed S` writes it alone): do the results hold on fresh samples?")
    String freshSeed;

    @Option(names = "--replicates", paramLabel = "R", defaultValue = "1",
            description = {"Independent replicates of the whole demo, each in DIR/replicate-K: the pool, pair sampling, annotation sampling "
                    + "and the trainer get seeds from K; the benchmark, its A/B order and the seed model are shared. The report gives "
                    + "mean ± sd per row, the 95% interval of the mean difference from the seed (two-level bootstrap over replicates "
                    + "and items), then each replicate's tables (each replicate's own table.txt also has its fresh-benchmark table with --fresh-benchmark-seed). Default: ${DEFAULT-VALUE} (one demo directly in DIR)."})
    int replicates;

    @picocli.CommandLine.Mixin ThreadsOption threads = new ThreadsOption(0);

    /** The embedded CPU trainer, with a progress line on stderr. */
    static TrainerBackend embeddedTrainer(TrainSettings settings) {
        return new EmbeddedTrainer(new Trainer.Listener() {
            long last;
            @Override public void onStep(Trainer.Step s) {
                long now = System.nanoTime();
                if (now - last < 3_000_000_000L && s.step() != s.totalSteps()) return;
                last = now;
                System.err.printf("train: step %d/%d loss %.3f %,.0f tok/s ETA %.0fs%n", s.step(), s.totalSteps(), s.loss(),
                        s.tokensPerSecond(), s.etaSeconds());
            }
        }, null);
    }

    @Override
    public Integer call() {
        if (rounds < 1) throw new dev.selftaught.data.InputError("--rounds must be at least 1, got " + rounds);
        if (replicates < 1) throw new dev.selftaught.data.InputError("--replicates must be at least 1, got " + replicates);
        if (categories != null) Demo.checkCategories(categories);
        Long fresh = freshSeed == null ? null : MicroworldCommand.parseSeed(freshSeed);
        DemoPlan plan = quick ? DemoPlan.quick() : DemoPlan.standard();
        if (recipe != null) plan = plan.withRecipe(MicroworldCommand.recipe(recipe));
        int k = quick && rounds == 3 ? 1 : rounds;
        Path out = output != null ? output : Path.of(quick ? "demo-quick" : "demo-run");
        SeedPretrainer.Result seed = SeedPretrainer.ensure(plan.recipe(), MicroworldCommand.cache(cacheDir.dir()), false, System.err);
        System.err.println("demo: seed model " + seed.spec() + (seed.cached() ? " (cached)" : ""));
        ModelOptions options = new ModelOptions(null, null, 16, java.time.Duration.ofSeconds(600), 0, threads.value());
        Demo.Wiring wiring = new Demo.Wiring(spec -> ModelFactory.open(spec, options), RunLoop.trainers(DemoCommand::embeddedTrainer));
        if (replicates == 1) {
            Demo demo = new Demo(plan, k, out, wiring, System.err).withGenerator(generator).withFreshBenchmark(fresh);
            if (categories != null) demo.withCategories(categories);
            demo.run(seed.spec());
        } else {
            DemoPlan p = plan;
            DemoReplicates.run(replicates, out, r -> {
                Demo d = new Demo(p, k, out.resolve("replicate-" + r), wiring, System.err)
                        .withGenerator(generator).withReplicate(r).withFreshBenchmark(fresh);
                return categories == null ? d : d.withCategories(categories);
            }, seed.spec(), System.err);
        }
        System.out.println();
        try {
            System.out.print(java.nio.file.Files.readString(out.resolve("table.txt")));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        System.out.println();
        System.out.println("report: " + out.resolve("report.html").toAbsolutePath() + " (also report.md, report.json, charts/)");
        return 0;
    }
}
