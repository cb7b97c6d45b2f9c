package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.eval.EvalOptions;
import dev.selftaught.eval.EvalResult;
import dev.selftaught.eval.Evaluator;
import dev.selftaught.eval.Order;
import dev.selftaught.eval.bench.Benchmark;
import dev.selftaught.eval.bench.Benchmarks;
import dev.selftaught.llm.LanguageModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The run loop's evaluator: loads a benchmark by name or file with the eval package's loaders and
 * scores the judge with its {@link Evaluator} (RewardBench rules), writing metrics.json and
 * judgments.jsonl. Benchmarks are loaded once and kept for the following rounds.
 */
public final class BenchmarkEvaluator implements JudgeEvaluator {
    private final RunConfig.EvalSettings settings;
    private final int concurrency;
    private final Path dataDir;
    private final Map<String, Benchmark> loaded = new LinkedHashMap<>();
    private ProgressFactory progress = ProgressFactory.NONE;

    /** Shows each evaluation's judge calls on the given progress display. */
    public BenchmarkEvaluator withProgress(ProgressFactory p) {
        this.progress = ProgressFactory.orNone(p);
        return this;
    }
    private String template; // judge template name or file; null = the evaluator's default (pair-v2)

    /** Evaluates with {@code settings.template()} (eval.template; by default the annotate stage's template). */
    public BenchmarkEvaluator(RunConfig.EvalSettings settings, int concurrency, Path dataDir) {
        this.settings = settings;
        this.template = settings.template();
        this.concurrency = concurrency;
        this.dataDir = Benchmarks.dataDir(dataDir);
    }

    /**
     * Evaluates with this judge template (a built-in name or a template file) instead of pair-v2,
     * e.g. the compact template a small judge was trained on. Part of the inputs hash.
     */
    public BenchmarkEvaluator withTemplate(String nameOrFile) {
        this.template = nameOrFile;
        return this;
    }

    private synchronized Benchmark benchmark(String spec) {
        return loaded.computeIfAbsent(spec, s -> Benchmarks.load(s, dataDir));
    }

    EvalOptions options() {
        EvalOptions o = EvalOptions.defaults()
                .withOrder(Order.named(settings.order()))
                .withSeed(settings.seed())
                .withSamples(settings.samples())
                .withMaxTokens(settings.maxTokens())
                .withConcurrency(concurrency);
        if (template != null) o = o.withPrompts(dev.selftaught.eval.JudgePrompts.named(template));
        if (settings.samples() > 1) o = o.withSampling(settings.temperature() > 0 ? settings.temperature() : 0.7, 0.9);
        return o;
    }

    @Override
    public JsonNode evaluate(LanguageModel judge, String benchmark, Path outDir) {
        ProgressFactory.Tracker[] bar = new ProgressFactory.Tracker[1];
        int[] last = {0};
        EvalOptions o = options().withProgress((done, total) -> {
            synchronized (bar) {
                if (bar[0] == null) bar[0] = progress.start("eval " + RunLoop.benchName(benchmark), total);
                for (; last[0] < done; last[0]++) bar[0].advance(false);
            }
        });
        EvalResult r;
        try {
            r = Evaluator.evaluate(judge, benchmark(benchmark).items(), o);
        } finally {
            synchronized (bar) { if (bar[0] != null) bar[0].close(); }
        }
        r.writeTo(outDir, judge.identity(), benchmark);
        return PipelineIo.readJson(outDir.resolve("metrics.json"));
    }

    @Override
    public String inputsHash(String benchmark) {
        Path f = Path.of(benchmark);
        String content = Files.isRegularFile(f) ? PipelineIo.sha256(f) : "named:" + benchmark;
        String t = template == null ? "" : "\u0000template:" + (Files.isRegularFile(Path.of(template))
                ? PipelineIo.sha256(Path.of(template)) : template);
        return PipelineIo.sha256(content + "\u0000" + PipelineIo.hashOf(settings.withoutBaselines()) + t);
    }
}
