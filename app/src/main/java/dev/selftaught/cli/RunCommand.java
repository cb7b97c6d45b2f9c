package dev.selftaught.cli;

import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.pipeline.BenchmarkEvaluator;
import dev.selftaught.pipeline.RunConfig;
import dev.selftaught.pipeline.RunLoop;
import dev.selftaught.pipeline.ValidationMetric;
import dev.selftaught.train.EmbeddedTrainers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code selftaught run}: the whole self-taught loop from a YAML config. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the self-taught evaluator loop from a YAML config: select and pairs once, then for each round "
                + "annotate with the previous judge, train from the seed, pick a checkpoint on the validation set and "
                + "evaluate on the test benchmarks. Resumable: rerun the same command after a crash or kill; finished "
                + "stages are skipped and model calls come back from RUN/calls.sqlite.",
                "Every config key is documented in docs/pipeline.md; examples/run.yaml is a starting point."})
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "YAML config (see docs/pipeline.md).")
    Path config;

    @Mixin RunDirOption run;

    @Option(names = "--set", paramLabel = "KEY.PATH=VALUE", description = "Override a config key (repeatable), e.g. --set iterations=2.")
    List<String> overrides = new ArrayList<>();

    @Mixin DataDirOption dataDir;

    @Mixin RerunOptions rerun;

    @Mixin ModelOptionsMixin modelOptions;

    @Override
    public Integer call() {
        RunConfig.Loaded loaded = RunConfig.load(config, overrides);
        RunConfig cfg = loaded.config();
        ModelOptions options = modelOptions.toOptions();
        Path runDir = run.dir();
        RunLoop.ModelOpener opener = spec -> ModelFactory.open(spec, options);
        dev.selftaught.fleet.ServerFleet fleet = cfg.serve().isStatic() ? null
                : new dev.selftaught.fleet.ServerFleet(cfg.serve(), cfg.models().seed(), runDir, opener, options, System.err);
        loop(cfg, runDir, fleet == null ? opener : fleet, options, dataDir.dir(), rerun.force())
                .withServing(fleet)
                .withSecrets(loaded.secrets())
                .withRetryFailed(rerun.retryFailed())
                .withProgress(StageProgress.FACTORY)
                .run();
        System.out.println(runDir.resolve("report.json"));
        return 0;
    }

    /**
     * The loop as {@code run} wires it: the embedded trainer (with the validation metric) or the
     * external command, and the benchmark evaluator with {@code eval.template}; models come from
     * {@code opener} (the command: {@link ModelFactory}; the end-to-end test: the same models behind
     * HTTP servers).
     */
    public static RunLoop loop(RunConfig cfg, Path runDir, RunLoop.ModelOpener opener, ModelOptions options, Path dataDir,
                               boolean force) {
        return new RunLoop(cfg, runDir, opener,
                RunLoop.trainers(s -> EmbeddedTrainers.create(
                        ValidationMetric.of(cfg.eval(), cfg.eval().template(), cfg.concurrency(), options.threads(), dataDir))),
                new BenchmarkEvaluator(cfg.eval(), cfg.concurrency(), dataDir).withProgress(StageProgress.FACTORY),
                force, System.err);
    }
}
