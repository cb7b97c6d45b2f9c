package dev.selftaught.pipeline;

import dev.selftaught.eval.EvalOptions;
import dev.selftaught.eval.Evaluator;
import dev.selftaught.eval.PairwiseItem;
import dev.selftaught.eval.bench.Benchmarks;
import dev.selftaught.llm.embedded.EmbeddedModel;
import dev.selftaught.train.EmbeddedTrainer;

import java.nio.file.Path;
import java.util.List;

/**
 * The embedded trainer's task-metric hook: a candidate checkpoint's pairwise accuracy on the
 * validation set (RewardBench scoring, greedy, the run's eval order and seed). The trainer keeps
 * the best candidate and stops early when it stops improving (settings eval_every, patience).
 */
public final class ValidationMetric {
    private ValidationMetric() {}

    /** @param template the judge template the model is trained on (null = pair-v2), used for validation too */
    public static EmbeddedTrainer.CheckpointMetric of(RunConfig.EvalSettings eval, String template, int concurrency, int threads,
                                                      Path dataDir) {
        if (eval.validation() == null) return null;
        List<PairwiseItem> items = Benchmarks.load(eval.validation(), Benchmarks.dataDir(dataDir)).items();
        EvalOptions options = new BenchmarkEvaluator(eval, concurrency, dataDir).withTemplate(template).options();
        return (candidate, step) -> {
            try (EmbeddedModel judge = new EmbeddedModel(candidate, Path.of("candidate-step-" + step), threads)) {
                double overall = Evaluator.evaluate(judge, items, options).overall();
                return Double.isNaN(overall) ? 0 : overall;
            }
        };
    }
}
