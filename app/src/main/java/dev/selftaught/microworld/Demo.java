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
 * OUT/bad-response/    ablation: pairs made by asking for a worse answer directly, K rounds beside the method,
 *                      each round on as many training rows as the method's (the larger run subsampled)
 * OUT/labelled-data/   baseline: independent pairs ordered by the checker (the HelpSteer2 analogue), 1 round
 * OUT/majority/        the round-K judge with a majority vote over k samples at T = 0.7
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
    private List<String> categories = MicroPrompts.categories(); // the select stage keeps these topics
    private Path freshFile;
    private Long freshSeed; // a second benchmark from this generator seed, evaluated beside the frozen one

    /** Also evaluates every judge on a benchmark drawn from another generator seed (same held-out generators). */
    public Demo withFreshBenchmark(Long seed) {
        if (seed != null && seed == Benchmark.TEST_SEED) {
            throw new dev.selftaught.data.InputError("--fresh-benchmark-seed must differ from the frozen benchmark's seed 0x7E575EED");
        }
        this.freshSeed = seed;
        return this;
    }

    /** The fresh benchmark's file stem (also its directory name under each eval/). */
    String freshName() { return "fresh-" + Long.toHexString(freshSeed); }

    /** Keeps only instructions the seed puts in these topics (the paper keeps its reasoning category only). */
    public Demo withCategories(List<String> keep) {
        checkCategories(keep);
        this.categories = List.copyOf(keep);
        return this;
    }

    /** Rejects an empty list or an unknown topic (a usage error, before any work). */
    public static void checkCategories(List<String> keep) {
        for (String c : keep) {
            if (!MicroPrompts.categories().contains(c)) {
                throw new dev.selftaught.data.InputError("--categories: unknown topic '" + c + "'; the topics are " + MicroPrompts.categories());
            }
        }
        if (keep.isEmpty()) throw new dev.selftaught.data.InputError("--categories needs at least one topic of " + MicroPrompts.categories());
    }

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
        Path fresh = freshSeed == null ? null : WorldFiles.writePairs(out.resolve("benchmark").resolve(freshName() + ".jsonl"),
                Benchmark.test(freshSeed, plan.testPerCategory()));
        this.freshFile = fresh;
        Path val = WorldFiles.writePairs(out.resolve("benchmark").resolve("validation.jsonl"), Benchmark.validation(plan.valPerCategory()));
        Path prompts = MicroPrompts.writeAll(out.resolve("prompts"));
        err.printf("demo: world written to %s (%d pool instructions, %d benchmark pairs, %d validation pairs)%n",
                out, plan.pool(), 4 * plan.testPerCategory(), 4 * plan.valPerCategory());

        // 1. The method and 2. the ablation (pairs from directly asking for a worse answer, on the
        // method's selected instructions), side by side with the same K and, round by round, the
        // same number of training rows (EqualRows subsamples the run that kept more).
        Path mainDir = out.resolve("main");
        Path badDir = out.resolve("bad-response");
        RunConfig main = config(mainDir, seedSpec, pool, bench, val, prompts, "modified_instruction", rounds, true, true);
        RunConfig bad = config(badDir, seedSpec, mainDir.resolve("select").resolve(SelectStage.OUTPUT), bench, val, prompts,
                "bad_response", rounds, false, false);
        java.util.concurrent.atomic.AtomicBoolean mainFailed = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Throwable> badFailure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<Map<String, Object>> badResult = new java.util.concurrent.atomic.AtomicReference<>();
        Thread[] ablation = new Thread[1];
        Runnable startAblation = () -> {
            if (ablation[0] != null) return;
            err.printf("demo: ablation with directly generated bad responses, %d round(s), in %s (beside the method)%n", rounds, badDir);
            ablation[0] = Thread.ofPlatform().name("demo-ablation").start(() -> {
                try {
                    badResult.set(runExplained(bad, badDir, new EqualRows(wiring.trainers(), mainDir, mainFailed::get, 17)));
                } catch (Throwable t) {
                    badFailure.set(t);
                }
            });
        };
        err.printf("demo: the method, %d round(s), in %s%n", rounds, mainDir);
        Map<String, Object> report;
        try {
            report = runExplained(main, mainDir, new EqualRows(wiring.trainers(), badDir, () -> badFailure.get() != null, 17),
                    stage -> { if (stage.equals("select")) startAblation.run(); });
        } catch (RuntimeException e) {
            mainFailed.set(true);
            throw e;
        } finally {
            if (ablation[0] == null) startAblation.run(); // a resumed run whose select was done before: still needs the ablation
        }
        try {
            ablation[0].join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the ablation run", e);
        }
        if (badFailure.get() != null) {
            throw badFailure.get() instanceof RuntimeException re ? re : new IllegalStateException(badFailure.get());
        }
        Map<String, Object> badReport = badResult.get();

        // 3. Baseline: independent labelled data (the HelpSteer2 analogue).
        int nPairs = PipelineIo.readJsonl(mainDir.resolve("pairs").resolve(PairsStage.OUTPUT), Records.Pair.class).size();
        Map<String, Object> labelledRow = labelledData(main, seedSpec, nPairs, bench);

        // 4. Majority vote of the last round's judge.
        Map<String, Object> majorityRow = majority(main, report);

        List<Map<String, Object>> rows = new ArrayList<>();
        for (Object r : (List<?>) report.get("rounds")) rows.add(row(asMap(r), null, mainDir));
        Map<String, Object> last = rows.getLast();
        majorityRow.put("pairs", last.get("pairs"));
        majorityRow.put("kept", last.get("kept"));
        if (last.get("train_rows") != null) majorityRow.put("train_rows", last.get("train_rows"));
        List<Map<String, Object>> baselines = new ArrayList<>();
        baselines.add(majorityRow);
        baselines.add(labelledRow);
        for (Object r : (List<?>) badReport.get("rounds")) {
            Map<String, Object> m = asMap(r);
            baselines.add(row(m, "direct bad response (ablation), round " + m.get("round"), badDir));
        }

        Map<String, Object> combined = new LinkedHashMap<>(report);
        combined.put("rounds", rows);
        combined.put("baselines", baselines);
        Map<String, Object> mw = new LinkedHashMap<>();
        mw.put("seed_model", seedSpec);
        mw.put("generator", generator == null ? seedSpec : generator);
        mw.put("seed_recipe", plan.recipe().canonical());
        mw.put("plan", plan.toString());
        mw.put("rounds", rounds);
        mw.put("categories", categories);
        mw.put("benchmark_version", Benchmark.VERSION);
        mw.put("benchmark", out.relativize(bench).toString());
        mw.put("benchmark_seed", Benchmark.TEST_SEED);
        mw.put("validation_seed", Benchmark.VALIDATION_SEED);
        if (freshFile != null) {
            mw.put("fresh_benchmark", out.relativize(freshFile).toString());
            mw.put("fresh_benchmark_seed", freshSeed);
        }
        mw.put("seconds", Math.round((System.nanoTime() - t0) / 1e9));
        combined.put("microworld", mw);
        mw.put("replicate", replicate);
        // Every row's 95% interval and its paired difference from the seed, from the judgments files.
        Path seedJudgments = rows.isEmpty() ? null : judgmentsOf(rows.getFirst());
        RunReport rr = new RunReport("selftaught demo: the micro-world, " + rounds + " round(s)",
                DemoReport.reportRows(rows, true, seedJudgments), DemoReport.reportRows(baselines, false, seedJudgments));
        DemoReport.addUncertainty(rows, rr.rounds());
        DemoReport.addUncertainty(baselines, rr.baselines());
        String table = DemoReport.table(rr);
        RunReport fr = null;
        if (freshFile != null) {
            // The same judges, the same layout and intervals, from their scores on the fresh benchmark.
            Path seedFresh = rows.isEmpty() ? null : judgmentsOf(rows.getFirst(), DemoReport.FRESH_JUDGMENTS);
            fr = new RunReport(rr.title() + ", fresh benchmark",
                    DemoReport.reportRows(rows, true, seedFresh, DemoReport.FRESH_CATEGORIES, DemoReport.FRESH_JUDGMENTS),
                    DemoReport.reportRows(baselines, false, seedFresh, DemoReport.FRESH_CATEGORIES, DemoReport.FRESH_JUDGMENTS));
            DemoReport.addUncertainty(rows, fr.rounds(), "fresh_");
            DemoReport.addUncertainty(baselines, fr.baselines(), "fresh_");
            table += "\nThe same judges on a fresh benchmark (generator seed 0x" + Long.toHexString(freshSeed) + ", "
                    + out.relativize(freshFile) + "):\n" + DemoReport.table(fr);
        }
        combined.put("ci_method", dev.selftaught.eval.Bootstrap.METHOD);
        PipelineIo.writeJson(out.resolve("report.json"), combined);
        PipelineIo.writeText(out.resolve("table.txt"), table);
        ReportWriter.writeRendered(rr, out);
        if (fr != null) DemoReport.appendRendered(fr, out);
        return combined;
    }

    /** The judgments file of a demo row (where its item scores are), or null. */
    static Path judgmentsOf(Map<String, Object> row) {
        return judgmentsOf(row, "judgments_file");
    }

    /** The judgments file under {@code key} ({@code judgments_file}, or {@code fresh_judgments_file}), or null. */
    static Path judgmentsOf(Map<String, Object> row, String key) {
        return row.get(key) instanceof String f ? Path.of(f) : null;
    }

    /** Runs a loop; a failure names the stage counts that explain it (a seed too weak to make pairs, ...). */
    private Map<String, Object> runExplained(RunConfig cfg, Path dir, RunLoop.TrainerFactory trainers) {
        return runExplained(cfg, dir, trainers, stage -> {});
    }

    private Map<String, Object> runExplained(RunConfig cfg, Path dir, RunLoop.TrainerFactory trainers, RunLoop.StageListener listener) {
        try {
            return new RunLoop(cfg, dir, wiring.opener(), trainers, evaluator(cfg.eval(), cfg), false, err).withListener(listener).run();
        } catch (RuntimeException e) {
            StringBuilder why = new StringBuilder();
            for (String stats : List.of("select/stats.json", "pairs/stats.json", "round-1/stats.json")) {
                Path f = dir.resolve(stats);
                if (Files.isRegularFile(f)) why.append("; ").append(stats).append(": ").append(PipelineIo.readJson(f).toString());
            }
            throw new IllegalStateException("demo run in " + dir + " failed: " + e.getMessage() + why, e);
        }
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
                  benchmarks: %s
                  order: random
                  samples: 1
                  max_tokens: %d
                  seed: 1
                  evaluate_seed: %s
                """.formatted(replicate, iterations, seedSpec,
                generator == null ? "" : "\n  generator: \"" + generator + "\"\n  categorizer: \"" + seedSpec + "\"",
                pool.toAbsolutePath(), categorize, json(MicroPrompts.categories()),
                json(categories), prompts.resolve(MicroPrompts.CATEGORIZE).toAbsolutePath(), method,
                prompts.resolve(method.equals("bad_response") ? MicroPrompts.BAD : MicroPrompts.MODIFIED).toAbsolutePath(),
                plan.pairTokens(), plan.samples(), plan.judgeTokens(), prompts.resolve(MicroPrompts.JUDGE).toAbsolutePath(),
                json(trainSettings()), val.toAbsolutePath(),
                json(freshFile == null ? List.of(bench.toAbsolutePath().toString())
                        : List.of(bench.toAbsolutePath().toString(), freshFile.toAbsolutePath().toString())),
                plan.judgeTokens(), evaluateSeed);
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

    /**
     * The labelled-data baseline, the micro-world's analogue of the paper's HelpSteer2 baseline:
     * an independent set of {@code nPairs} pairs (its own generator seed, {@link WorldFiles#LABELLED_SEED};
     * the world's own perturbations: a similar instruction's answer or a one-mistake answer against the
     * correct one), ordered by the checker (the analogue of human labels), judged by the seed with the
     * same rejection sampling as the method (judgments kept where they agree with the label), trained
     * from the seed for one round and evaluated.
     */
    private Map<String, Object> labelledData(RunConfig main, String seedSpec, int nPairs, Path bench) {
        Path dir = out.resolve("labelled-data");
        java.util.SplittableRandom r = new java.util.SplittableRandom(WorldFiles.LABELLED_SEED);
        List<Records.Pair> labelled = new ArrayList<>();
        int unordered = 0;
        for (Problem p : World.distinct(WorldFiles.LABELLED_SEED, nPairs, Benchmark.heldOutInstructions())) {
            boolean similar = r.nextBoolean();
            Problem s = similar ? p.similar(r) : null;
            String a = p.response(), b = similar ? s.response() : p.wrong(r);
            boolean aOk = Checker.isCorrect(p.instruction(), a), bOk = Checker.isCorrect(p.instruction(), b);
            if (aOk == bOk) { unordered++; continue; } // the checker cannot order them
            labelled.add(new Records.Pair(String.format("mw-lab-%05d", labelled.size()), p.instruction(),
                    similar ? s.instruction() : null, aOk ? a : b, aOk ? b : a, "labelled_data"));
        }
        err.printf("demo: labelled-data baseline: %d independent pairs ordered by the checker (%d unordered) in %s%n",
                labelled.size(), unordered, dir);
        Path file = dir.resolve("pairs.jsonl");
        PipelineIo.writeJsonl(file, labelled);
        Path rd = dir.resolve("round-1");
        Map<String, Object> stats;
        try (LanguageModel judge = wiring.opener().open(seedSpec)) {
            stats = new AnnotateStage(main.annotate(), judge, 1, main.concurrency(), err).runInto(rd, file, false).toJson();
        }
        String model = new TrainStage(main.train(), wiring.trainers().create(main.train(), rd)).runInto(rd, seedSpec, false);
        JsonNode m = evaluate(main, model, bench, rd.resolve("eval"), main.eval().samples());
        Map<String, Object> row = metricsRow(m, model, "labelled data (independent pairs, checker labels)");
        row.put("judgments_file", rd.resolve("eval").resolve("judgments.jsonl").toString());
        if (freshFile != null) {
            Path fd = rd.resolve("eval").resolve(freshName());
            row.put("fresh_categories", DemoReport.categories(evaluate(main, model, freshFile, fd, main.eval().samples())));
            row.put("fresh_judgments_file", fd.resolve("judgments.jsonl").toString());
        }
        row.put("pairs", labelled.size());
        // The annotate stage reports its kept judgments under pair_orders (both orders of each pair); older files at the top.
        Object kept = stats.get("pair_orders") instanceof Map<?, ?> po && po.get("kept") instanceof Number k ? k : stats.get("kept");
        row.put("kept", kept);
        row.put("train_rows", kept);
        return row;
    }

    private Map<String, Object> majority(RunConfig main, Map<String, Object> report) {
        List<?> rs = (List<?>) report.get("rounds");
        Map<String, Object> last = asMap(rs.getLast());
        String model = (String) last.get("model");
        JsonNode m = evaluate(main, model, Path.of(main.eval().benchmarks().getFirst()), out.resolve("majority"), plan.majorityK());
        Map<String, Object> row = metricsRow(m, model, "round " + last.get("round") + " + majority vote (k=" + plan.majorityK() + ")");
        row.put("judgments_file", out.resolve("majority").resolve("judgments.jsonl").toString());
        if (freshFile != null) {
            Path fd = out.resolve("majority").resolve(freshName());
            row.put("fresh_categories", DemoReport.categories(evaluate(main, model, freshFile, fd, plan.majorityK())));
            row.put("fresh_judgments_file", fd.resolve("judgments.jsonl").toString());
        }
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

    /** A report row from a pipeline report row, with micro-world categories from its subsets and the rows it trained on. */
    private Map<String, Object> row(Map<String, Object> r, String name, Path runDir) {
        Map<String, Object> row = new LinkedHashMap<>(r);
        if (name != null) row.put("name", name);
        Object model = r.get("model");
        if (r.get("round") instanceof Number n) {
            Path rd = runDir.resolve("round-" + n.intValue());
            Path metrics = rd.resolve("eval").resolve("microbench").resolve("metrics.json");
            if (Files.isRegularFile(metrics)) {
                row.put("categories", DemoReport.categories(PipelineIo.readJson(metrics)));
                row.put("judgments_file", metrics.resolveSibling("judgments.jsonl").toString());
            }
            Path fm = freshFile == null ? null : rd.resolve("eval").resolve(freshName()).resolve("metrics.json");
            if (fm != null && Files.isRegularFile(fm)) {
                row.put("fresh_categories", DemoReport.categories(PipelineIo.readJson(fm)));
                row.put("fresh_judgments_file", fm.resolveSibling("judgments.jsonl").toString());
            }
            Path eq = rd.resolve("equal-rows.json");
            if (Files.isRegularFile(eq)) row.put("train_rows", PipelineIo.readJson(eq).path("train_rows").asInt());
            Path pairs = runDir.resolve("pairs").resolve(PairsStage.OUTPUT);
            if (n.intValue() > 0 && Files.isRegularFile(pairs)) row.put("pairs", PipelineIo.readJsonl(pairs, Records.Pair.class).size());
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
