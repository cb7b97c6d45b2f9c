package dev.selftaught.microworld;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.pipeline.AnnotateSettings;
import dev.selftaught.pipeline.AnnotateStage;
import dev.selftaught.pipeline.BenchmarkEvaluator;
import dev.selftaught.pipeline.PairsStage;
import dev.selftaught.pipeline.PipelineIo;
import dev.selftaught.pipeline.Records;
import dev.selftaught.pipeline.RunConfig;
import dev.selftaught.pipeline.RunLoop;
import dev.selftaught.pipeline.SelectStage;
import dev.selftaught.pipeline.TrainStage;
import dev.selftaught.report.ReportWriter;
import dev.selftaught.report.RunReport;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code selftaught demo}: the whole method in the micro-world, with the pre-trained seed as
 * generator, pair-maker and judge, through the same pipeline stages and run loop as any run.
 *
 * <pre>
 * OUT/world/pool.jsonl, OUT/benchmark/{microbench,validation}.jsonl, OUT/prompts/*.prompt
 * OUT/main/            the method: select → pairs → K rounds (annotate → train from seed → eval)
 * OUT/bad-response/    ablation: pairs made by asking for a worse answer directly, 1 round
 * OUT/checker-labels/  baseline: the main run's pairs labelled by the checker (the analogue of human labels)
 * OUT/majority/        the round-K judge with a majority vote over k samples
 * OUT/report.json, OUT/table.txt, and report.md, report.html, charts/*.png from the report writer
 * </pre>
 */
public final class Demo {

    /** Opens models and trainers; production wiring in the CLI, scripted ones in tests. */
    public record Wiring(RunLoop.ModelOpener opener, RunLoop.TrainerFactory trainers) {}

    private final DemoPlan plan;
    private final int rounds;
    private final Path out;
    private final Wiring wiring;
    private final PrintStream err;
    private String generator; // null: the seed makes the pairs (the demo's default)
    private long replicate = 1; // pool, pair-sampling and trainer seed (1: the default demo)

    /**
     * Runs replicate {@code k} (1, 2, ...): the pool, pair sampling, annotation sampling and the
     * trainer get seeds derived from k; the benchmark, its A/B order and the seed model stay the same.
     */
    public Demo withReplicate(long k) {
        if (k < 1) throw new dev.selftaught.data.InputError("a replicate number is 1 or more, got " + k);
        this.replicate = k;
        return this;
    }

    /** Makes the pairs with another model (e.g. {@code microworld:oracle}) instead of the seed. */
    public Demo withGenerator(String spec) {
        this.generator = spec;
        return this;
    }

    public Demo(DemoPlan plan, int rounds, Path out, Wiring wiring, PrintStream err) {
        if (rounds < 1) throw new dev.selftaught.data.InputError("--rounds must be at least 1, got " + rounds);
        this.plan = plan;
        this.rounds = rounds;
        this.out = out;
        this.wiring = wiring;
        this.err = err;
    }

    /** Runs (or resumes) the demo with the seed at {@code seedSpec}; returns the combined report. */
    public Map<String, Object> run(String seedSpec) {
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + out, e);
        }
        Path pool = WorldFiles.writePool(out.resolve("world").resolve("pool.jsonl"), plan.pool(), WorldFiles.POOL_SEED + replicate - 1);
        Path bench = WorldFiles.writePairs(out.resolve("benchmark").resolve("microbench.jsonl"), Benchmark.test(plan.testPerCategory()));
        Path val = WorldFiles.writePairs(out.resolve("benchmark").resolve("validation.jsonl"), Benchmark.validation(plan.valPerCategory()));
        Path prompts = MicroPrompts.writeAll(out.resolve("prompts"));
        err.printf("demo: world written to %s (%d pool instructions, %d benchmark pairs, %d validation pairs)%n",
                out, plan.pool(), 4 * plan.testPerCategory(), 4 * plan.valPerCategory());

        // 1. The method.
        Path mainDir = out.resolve("main");
        RunConfig main = config(mainDir, seedSpec, pool, bench, val, prompts, "modified_instruction", rounds, true, true);
        err.printf("demo: the method, %d round(s), in %s%n", rounds, mainDir);
        Map<String, Object> report = runExplained(main, mainDir);

        // 2. Ablation: directly generated bad responses, one round, same selected instructions.
        Path badDir = out.resolve("bad-response");
        RunConfig bad = config(badDir, seedSpec, mainDir.resolve("select").resolve(SelectStage.OUTPUT), bench, val, prompts,
                "bad_response", 1, false, false);
        err.printf("demo: ablation with directly generated bad responses in %s%n", badDir);
        Map<String, Object> badReport = runExplained(bad, badDir);

        // 3. Baseline: the same synthetic pairs, labelled by the checker instead of by construction.
        Map<String, Object> checkerRow = checkerLabels(main, seedSpec, mainDir, bench);

        // 4. Majority vote of the last round's judge.
        Map<String, Object> majorityRow = majority(main, report);

        List<Map<String, Object>> rows = new ArrayList<>();
        for (Object r : (List<?>) report.get("rounds")) rows.add(row(asMap(r), null));
        Map<String, Object> last = rows.getLast();
        majorityRow.put("pairs", last.get("pairs"));
        majorityRow.put("kept", last.get("kept"));
        List<Map<String, Object>> baselines = new ArrayList<>();
        baselines.add(majorityRow);
        baselines.add(checkerRow);
        Object badRound = ((List<?>) badReport.get("rounds")).getFirst();
        baselines.add(row(asMap(badRound), "direct bad response (ablation, 1 round)"));

        Map<String, Object> combined = new LinkedHashMap<>(report);
        combined.put("rounds", rows);
        combined.put("baselines", baselines);
        Map<String, Object> mw = new LinkedHashMap<>();
        mw.put("seed_model", seedSpec);
        mw.put("generator", generator == null ? seedSpec : generator);
        mw.put("seed_recipe", plan.recipe().canonical());
        mw.put("plan", plan.toString());
        mw.put("benchmark", out.relativize(bench).toString());
        mw.put("benchmark_seed", Benchmark.TEST_SEED);
        mw.put("validation_seed", Benchmark.VALIDATION_SEED);
        mw.put("seconds", Math.round((System.nanoTime() - t0) / 1e9));
        combined.put("microworld", mw);
        mw.put("replicate", replicate);
        // Every row's 95% interval and its paired difference from the seed, from the judgments files.
        Path seedJudgments = rows.isEmpty() ? null : judgmentsOf(rows.getFirst());
        RunReport rr = new RunReport("selftaught demo: the micro-world, " + rounds + " round(s)",
                DemoReport.reportRows(rows, true, seedJudgments), DemoReport.reportRows(baselines, false, seedJudgments));
        DemoReport.addUncertainty(rows, rr.rounds());
        DemoReport.addUncertainty(baselines, rr.baselines());
        combined.put("ci_method", dev.selftaught.eval.Bootstrap.METHOD);
        PipelineIo.writeJson(out.resolve("report.json"), combined);
        PipelineIo.writeText(out.resolve("table.txt"), DemoReport.table(rr));
        ReportWriter.writeRendered(rr, out);
        return combined;
    }

    /** The judgments file of a demo row (where its item scores are), or null. */
    static Path judgmentsOf(Map<String, Object> row) {
        return row.get("judgments_file") instanceof String f ? Path.of(f) : null;
    }

    /** Runs a loop; a failure names the stage counts that explain it (a seed too weak to make pairs, ...). */
    private Map<String, Object> runExplained(RunConfig cfg, Path dir) {
        try {
            return loop(cfg, dir).run();
        } catch (RuntimeException e) {
            StringBuilder why = new StringBuilder();
            for (String stats : List.of("select/stats.json", "pairs/stats.json", "round-1/stats.json")) {
                Path f = dir.resolve(stats);
                if (Files.isRegularFile(f)) why.append("; ").append(stats).append(": ").append(PipelineIo.readJson(f).toString());
            }
            throw new IllegalStateException("demo run in " + dir + " failed: " + e.getMessage() + why, e);
        }
    }

    private RunLoop loop(RunConfig cfg, Path dir) {
        return new RunLoop(cfg, dir, wiring.opener(), wiring.trainers(), evaluator(cfg.eval(), cfg), false, err);
    }

    /** Evaluation with the judge template the seed knows (eval.template, which defaults to the annotate stage's), not pair-v2. */
    private static BenchmarkEvaluator evaluator(RunConfig.EvalSettings e, RunConfig cfg) {
        return new BenchmarkEvaluator(e, cfg.concurrency(), null);
    }

    /** The run configuration, written to DIR/config.yaml (so `selftaught run` can repeat it) and loaded back. */
    RunConfig config(Path dir, String seedSpec, Path pool, Path bench, Path val, Path prompts, String method,
                     int iterations, boolean categorize, boolean evaluateSeed) {
        String yaml = """
                # written by `selftaught demo`; the micro-world's compact prompts replace the method's long ones
                seed: %d
                iterations: %d
                concurrency: 16
                models:
                  seed: "%s"%s
                select:
                  pool: "%s"
                  categorize: %s
                  categories: %s
                  keep_categories: %s
                  category_prompt: "%s"
                pairs:
                  method: %s
                  prompt: "%s"
                  temperature: 0.7
                  top_p: 0.9
                  max_tokens: %d
                annotate:
                  samples: %d
                  temperature: 0.7
                  top_p: 0.9
                  max_tokens: %d
                  template: "%s"
                train:
                  backend: embedded
                  settings: %s
                eval:
                  validation: "%s"
                  benchmarks: ["%s"]
                  order: random
                  samples: 1
                  max_tokens: %d
                  seed: 1
                  evaluate_seed: %s
                """.formatted(replicate, iterations, seedSpec,
                generator == null ? "" : "\n  generator: \"" + generator + "\"\n  categorizer: \"" + seedSpec + "\"",
                pool.toAbsolutePath(), categorize, json(MicroPrompts.categories()),
                json(MicroPrompts.categories()), prompts.resolve(MicroPrompts.CATEGORIZE).toAbsolutePath(), method,
                prompts.resolve(method.equals("bad_response") ? MicroPrompts.BAD : MicroPrompts.MODIFIED).toAbsolutePath(),
                plan.pairTokens(), plan.samples(), plan.judgeTokens(), prompts.resolve(MicroPrompts.JUDGE).toAbsolutePath(),
                json(trainSettings()), val.toAbsolutePath(), bench.toAbsolutePath(), plan.judgeTokens(), evaluateSeed);
        Path file = dir.resolve("config.yaml");
        PipelineIo.writeText(file, yaml);
        return RunConfig.load(file);
    }

    /** The plan's trainer settings with this replicate's trainer seed (replicate 1 keeps the plan's). */
    private Map<String, Object> trainSettings() {
        Map<String, Object> t = new LinkedHashMap<>(plan.train());
        if (replicate != 1) t.put("seed", ((Number) t.getOrDefault("seed", 1)).longValue() + replicate - 1);
        return t;
    }

    private static String json(Object o) {
        try {
            return PipelineIo.JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Trains a judge from the seed on the main run's pairs relabelled by the checker and evaluates it. */
    private Map<String, Object> checkerLabels(RunConfig main, String seedSpec, Path mainDir, Path bench) {
        Path dir = out.resolve("checker-labels");
        List<Records.Pair> pairs = PipelineIo.readJsonl(mainDir.resolve("pairs").resolve(PairsStage.OUTPUT), Records.Pair.class);
        List<Records.Pair> labelled = new ArrayList<>();
        int agree = 0;
        for (Records.Pair p : pairs) {
            boolean w = Checker.isCorrect(p.instruction(), p.chosen()), l = Checker.isCorrect(p.instruction(), p.rejected());
            if (w == l) continue; // the checker cannot order them
            if (w) agree++;
            labelled.add(new Records.Pair(p.id(), p.instruction(), p.modifiedInstruction(), w ? p.chosen() : p.rejected(),
                    w ? p.rejected() : p.chosen(), "checker_labels"));
        }
        err.printf("demo: checker-labels baseline: %d of %d pairs ordered by the checker (%d agree with construction) in %s%n",
                labelled.size(), pairs.size(), agree, dir);
        Path file = dir.resolve("pairs.jsonl");
        PipelineIo.writeJsonl(file, labelled);
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("pairs", pairs.size());
        stats.put("checker_ordered", labelled.size());
        stats.put("agree_with_construction", agree);
        if (labelled.isEmpty()) {
            Map<String, Object> r = row(Map.of("model", "none"), "trained on checker labels");
            r.put("note", "no pair could be ordered by the checker");
            return r;
        }
        Path rd = dir.resolve("round-1");
        String model;
        Map<String, Object> annotated;
        try (LanguageModel judge = wiring.opener().open(seedSpec)) {
            annotated = new AnnotateStage(main.annotate(), judge, 1, main.concurrency(), err).runInto(rd, file, false);
        }
        model = new TrainStage(main.train(), wiring.trainers().create(main.train(), rd)).runInto(rd, seedSpec, false);
        JsonNode m = evaluate(main, model, bench, rd.resolve("eval"), main.eval().samples());
        Map<String, Object> r = metricsRow(m, model, "trained on checker labels");
        r.put("labels", stats);
        r.put("pairs", labelled.size());
        if (annotated.get("pair_orders") instanceof Map<?, ?> po && po.get("kept") instanceof Number k) r.put("kept", k);
        r.put("judgments_file", rd.resolve("eval").resolve("judgments.jsonl").toString());
        return r;
    }

    private Map<String, Object> majority(RunConfig main, Map<String, Object> report) {
        List<?> rs = (List<?>) report.get("rounds");
        Map<String, Object> last = asMap(rs.getLast());
        String model = (String) last.get("model");
        JsonNode m = evaluate(main, model, Path.of(main.eval().benchmarks().getFirst()), out.resolve("majority"), plan.majorityK());
        Map<String, Object> row = metricsRow(m, model, "round " + last.get("round") + " + majority vote (k=" + plan.majorityK() + ")");
        row.put("judgments_file", out.resolve("majority").resolve("judgments.jsonl").toString());
        return row;
    }

    private JsonNode evaluate(RunConfig main, String model, Path bench, Path dir, int samples) {
        RunConfig.EvalSettings e = main.eval();
        RunConfig.EvalSettings s = new RunConfig.EvalSettings(e.validation(), e.benchmarks(), e.order(), samples,
                samples > 1 ? 0.7 : 0.0, e.maxTokens(), e.seed(), false, Map.of(), e.template());
        Path metrics = dir.resolve("metrics.json");
        if (Files.isRegularFile(metrics) && PipelineIo.readJson(metrics).path("judge").asText().equals(model)
                && PipelineIo.readJson(metrics).path("samples").asInt() == samples) {
            return PipelineIo.readJson(metrics); // finished before: resume
        }
        err.printf("demo: evaluating %s (%d sample(s) per item)%n", model, samples);
        try (LanguageModel judge = wiring.opener().open(model)) {
            return evaluator(s, main).evaluate(judge, bench.toString(), dir);
        }
    }

    /** A report row from a pipeline report row, with micro-world categories from its subsets. */
    private Map<String, Object> row(Map<String, Object> r, String name) {
        Map<String, Object> row = new LinkedHashMap<>(r);
        if (name != null) row.put("name", name);
        Object model = r.get("model");
        Path metrics = null;
        if (r.containsKey("round")) {
            int round = ((Number) r.get("round")).intValue();
            Path base = name != null ? out.resolve("bad-response") : out.resolve("main");
            metrics = base.resolve("round-" + round).resolve("eval").resolve("microbench").resolve("metrics.json");
        }
        if (metrics != null && Files.isRegularFile(metrics)) {
            row.put("categories", DemoReport.categories(PipelineIo.readJson(metrics)));
            row.put("judgments_file", metrics.resolveSibling("judgments.jsonl").toString());
        }
        row.remove("judgments"); // the run loop's path relative to its own directory
        if (model == null) row.put("model", "none");
        return row;
    }

    private static Map<String, Object> metricsRow(JsonNode m, String model, String name) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", name);
        row.put("model", model);
        row.put("overall", m.path("overall").isNumber() ? m.path("overall").asDouble() : null);
        row.put("categories", DemoReport.categories(m));
        return row;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        if (o instanceof ObjectNode n) return PipelineIo.JSON.convertValue(n, Map.class);
        return PipelineIo.JSON.convertValue(o, Map.class);
    }
}
