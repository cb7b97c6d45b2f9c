package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.report.ReportWriter;
import dev.selftaught.report.RunReport;
import dev.selftaught.store.CachedModel;
import dev.selftaught.store.RunDirectory;
import dev.selftaught.train.TrainMethod;
import dev.selftaught.train.TrainerBackend;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The self-taught loop (spec §2.6): select and pairs once; then for i = 1..K annotate the fixed
 * pairs with judge i-1 (round 1: the annotator), train from the seed, pick a checkpoint on the
 * validation set, evaluate on the test benchmarks; a manifest per round and a report for the run.
 *
 * <p>Every stage has a done marker with its input hashes, so a rerun skips what is finished and a
 * killed run resumes at the stage it was in; model calls go through {@link CachedModel} on
 * {@code RUN/calls.sqlite}, so the calls of an interrupted stage come back from the store.
 */
public final class RunLoop {

    /** Opens a raw model from its spec (production: {@code ModelFactory.open(spec, options)}). */
    public interface ModelOpener { LanguageModel open(String spec); }

    /** Makes the trainer of a round (production: embedded or external command). */
    public interface TrainerFactory { TrainerBackend create(TrainSettings settings, Path roundDir); }

    /**
     * Servers the run drives ({@code serve:} launch or lora): leftovers of a killed run are stopped
     * once this run holds the run directory, and everything still running when the run ends.
     */
    public interface Serving extends AutoCloseable {
        void reapLeftovers();

        @Override
        void close();
    }

    /** Called after each stage finished or was found done; tests use it to inject crashes. */
    public interface StageListener { void after(String stage); }

    private final RunConfig cfg;
    private final Path runDir;
    private final ModelOpener opener;
    private final TrainerFactory trainers;
    private final JudgeEvaluator evaluator;
    private final boolean force;
    private final PrintStream err;
    private StageListener listener = s -> { };
    private java.util.Set<String> secrets = java.util.Set.of();
    private boolean retryFailed;
    private ProgressFactory progress;
    private final Map<String, LazyModel> models = new LinkedHashMap<>();
    private RunReport report; // the last report written
    private Serving serving;

    public RunLoop(RunConfig cfg, Path runDir, ModelOpener opener, TrainerFactory trainers, JudgeEvaluator evaluator,
                   boolean force, PrintStream err) {
        this.cfg = cfg;
        this.runDir = runDir;
        this.opener = opener;
        this.trainers = trainers;
        this.evaluator = evaluator;
        this.force = force;
        this.err = err;
    }

    /** Secret values substituted into the config, masked in run.yaml. */
    public RunLoop withSecrets(java.util.Set<String> s) {
        this.secrets = java.util.Set.copyOf(s);
        return this;
    }

    /** Try again the model calls the call store recorded as failed (instead of replaying the failure). */
    public RunLoop withRetryFailed(boolean r) {
        this.retryFailed = r;
        return this;
    }

    /** How stages show the progress of their model calls (default: a plain line on err every two seconds). */
    public RunLoop withProgress(ProgressFactory p) {
        this.progress = p;
        return this;
    }

    /** The servers this run drives (see {@link Serving}); null: none. */
    public RunLoop withServing(Serving s) {
        this.serving = s;
        return this;
    }

    public RunLoop withListener(StageListener l) {
        this.listener = l;
        return this;
    }

    /** Runs (or resumes) the whole loop; returns report.json's content. */
    public Map<String, Object> run() {
        try (RunDirectory dir = RunDirectory.open(runDir)) {
            try {
                if (serving != null) serving.reapLeftovers();
                return runLocked(dir);
            } finally {
                try {
                    for (LazyModel m : models.values()) m.close();
                    models.clear();
                } finally {
                    if (serving != null) serving.close();
                }
            }
        }
    }

    /** One lazily opened, call-store-backed model per spec, shared by the stages of this run. */
    private LazyModel model(RunDirectory dir, String spec) {
        return models.computeIfAbsent(spec, s -> new LazyModel(s,
                () -> new CachedModel(opener.open(s), dir.callStore(), retryFailed)));
    }

    private void release(String spec) {
        LazyModel m = models.remove(spec);
        if (m != null) m.close();
    }

    /**
     * The loop as a sequence of stages: select and pairs once, the seed on the test benchmarks
     * (round 0), then K rounds of annotate → train → validate → eval, the baselines, the report.
     */
    private Map<String, Object> runLocked(RunDirectory dir) {
        long tRun = System.nanoTime();
        writeResolvedConfig();
        SelectStage.Result selected = select(dir);
        PairsStage.Result pairs = pairs(dir);
        List<ScoreRow> rounds = new ArrayList<>();
        if (cfg.eval().evaluateSeed() && !cfg.eval().benchmarks().isEmpty()) rounds.add(seedRound(dir));
        Judges judges = new Judges(cfg.models().annotatorSpec(), cfg.models().seed());
        for (int i = 1; i <= cfg.iterations(); i++) {
            ScoreRow round = round(dir, i, judges);
            rounds.add(round);
            judges = new Judges(round.model(), round.model());
        }
        List<ScoreRow> baselines = baselines(dir);
        Map<String, Object> summary = writeReport(selected, pairs, rounds, baselines);
        printSummary(report, secs(tRun));
        return summary;
    }

    /** RUN/run.yaml: the resolved configuration with secrets masked. */
    private void writeResolvedConfig() {
        PipelineIo.writeText(runDir.resolve("run.yaml"), "# resolved configuration; config_hash "
                + cfg.hash() + "\n" + new RunConfig.Loaded(cfg, secrets).redactedYaml());
    }

    private ProgressFactory bars() {
        if (progress == null) progress = ProgressFactory.lines(this.err);
        return progress;
    }

    /** Stage 1: the instructions x, from the pool (categorised when configured). */
    private SelectStage.Result select(RunDirectory dir) {
        LazyModel categorizer = cfg.select().categorize() ? model(dir, cfg.models().categorizerSpec()) : null;
        SelectStage.Result sel = new SelectStage(cfg.select(), categorizer, null, cfg.concurrency(), bars())
                .runInto(runDir.resolve("select"), categorizer == null ? null : categorizer.identity(), force);
        err.printf("select: %d instructions kept %s%n", sel.instructions().size(), sel.stats());
        listener.after("select");
        return sel;
    }

    /** Stage 2: the fixed pairs (x, y_w, y_l), made once for every round. */
    private PairsStage.Result pairs(RunDirectory dir) {
        LazyModel generator = model(dir, cfg.models().generatorSpec());
        PairsStage.Result pairs = new PairsStage(cfg.pairs(), generator, cfg.concurrency(), bars())
                .runInto(runDir.resolve("pairs"), runDir.resolve("select").resolve(SelectStage.OUTPUT), force);
        err.printf("pairs: %d pairs kept %s%n", pairs.pairs().size(), pairs.stats());
        if (!cfg.models().generatorSpec().equals(cfg.models().seed())) release(cfg.models().generatorSpec());
        listener.after("pairs");
        return pairs;
    }

    /** A round's GRPO trainer when train.method is grpo (else null): the annotate stage's judge prompt, validation accuracy per step. */
    private GrpoStage grpo(int round) {
        if (cfg.train().method() != TrainMethod.GRPO) return null;
        String v = cfg.eval().validation();
        var items = v == null ? null : dev.selftaught.eval.bench.Benchmarks.load(v, dev.selftaught.eval.bench.Benchmarks.dataDir(null)).items();
        return new GrpoStage(cfg.train(), cfg.annotate(), items, new dev.selftaught.train.GrpoProgress(err, "round " + round + " grpo"));
    }

    private Path pairsFile() { return runDir.resolve("pairs").resolve(PairsStage.OUTPUT); }

    /** Round 0: the seed model on the test benchmarks. */
    private ScoreRow seedRound(RunDirectory dir) {
        String seed = cfg.models().seed();
        Path evalDir = runDir.resolve("round-0").resolve("eval");
        ScoreRow row = ScoreRow.round(0, seed, evaluateAll(dir, seed, evalDir), null).with(judgments(evalDir), null, null, null);
        release(seed);
        listener.after("round-0/eval");
        return row;
    }

    /** Who judges round i's pairs, and the model the previous round ended with. */
    private record Judges(String judge, String previousModel) {}

    /** One round: annotate the fixed pairs with the judge, train, pick a checkpoint, evaluate it. */
    private ScoreRow round(RunDirectory dir, int i, Judges judges) {
        Path rd = runDir.resolve("round-" + i);
        Map<String, Double> timings = new LinkedHashMap<>();

        long t = System.nanoTime();
        Map<String, Object> counts = new AnnotateStage(cfg.annotate(), model(dir, judges.judge()), i, cfg.concurrency(), bars())
                .runInto(rd, pairsFile(), force);
        timings.put("annotate", secs(t));
        Map<String, Object> pairOrders = pairOrders(counts);
        err.printf("round %d annotate (judge %s): %s%n", i, judges.judge(), pairOrders);
        release(judges.judge());
        listener.after("round-" + i + "/annotate");

        t = System.nanoTime();
        // GRPO's reward does not depend on the previous judge, so from the seed every round would redo round 1: it continues.
        boolean continues = cfg.train().init().equals("previous") || cfg.train().method() == TrainMethod.GRPO;
        String base = continues ? judges.previousModel() : cfg.models().seed();
        String trained = new TrainStage(cfg.train(), trainers.create(cfg.train(), rd)).withGrpo(grpo(i), pairsFile()).runInto(rd, base, force);
        timings.put("train", secs(t));
        err.printf("round %d train: %s%n", i, trained);
        listener.after("round-" + i + "/train");

        t = System.nanoTime();
        CheckpointChoice selection = selectCheckpoint(dir, rd, trained);
        String selected = selection.selected();
        timings.put("select_checkpoint", secs(t));
        listener.after("round-" + i + "/validate");

        t = System.nanoTime();
        Map<String, JsonNode> metrics = evaluateAll(dir, selected, rd.resolve("eval"));
        timings.put("eval", secs(t));
        release(selected);
        listener.after("round-" + i + "/eval");

        writeManifest(rd, manifest(i, rd, judges.judge(), base, selected, counts, selection, metrics, timings));
        return ScoreRow.round(i, selected, metrics, pairOrders).with(judgments(rd.resolve("eval")), (long) pairsCount(),
                selection.checkpoint(), selection.validation());
    }

    /** The judgments file of the first test benchmark under an evaluation directory (where a row's intervals come from). */
    private Path judgments(Path evalDir) {
        return cfg.eval().benchmarks().isEmpty() ? null
                : evalDir.resolve(benchName(cfg.eval().benchmarks().getFirst())).resolve("judgments.jsonl");
    }

    private int pairsCount() {
        try (Stream<String> lines = Files.lines(pairsFile())) {
            return (int) lines.filter(l -> !l.isBlank()).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> pairOrders(Map<String, Object> annotateStats) {
        return (Map<String, Object>) annotateStats.get("pair_orders");
    }

    /** round-i/manifest.json: what the round read, the model it chose, its counts, scores and timings. */
    private Map<String, Object> manifest(int i, Path rd, String judge, String base, String selected, Map<String, Object> counts,
                                         CheckpointChoice selection, Map<String, JsonNode> metrics, Map<String, Double> timings) {
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("round", i);
        manifest.put("config_hash", cfg.hash());
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("pairs", PipelineIo.sha256(pairsFile()));
        inputs.put("judge", judge);
        inputs.put("base_model", base);
        inputs.put("sft", PipelineIo.sha256(rd.resolve(AnnotateStage.SFT)));
        if (cfg.train().method().usesPreferences()) inputs.put("dpo", PipelineIo.sha256(rd.resolve(AnnotateStage.DPO)));
        manifest.put("inputs", inputs);
        manifest.put("method", cfg.train().method().id());
        manifest.put("model", selected);
        manifest.put("counts", counts);
        manifest.put("selection", selection.toJson());
        manifest.put("metrics", new LinkedHashMap<>(metrics));
        manifest.put("timings_seconds", timings);
        return manifest;
    }

    /** Other judges, evaluated once on the same benchmarks. */
    private List<ScoreRow> baselines(RunDirectory dir) {
        List<ScoreRow> rows = new ArrayList<>();
        if (cfg.eval().benchmarks().isEmpty()) return rows;
        for (var b : cfg.eval().baselines().entrySet()) {
            Path evalDir = runDir.resolve("baselines").resolve(b.getKey());
            rows.add(ScoreRow.baseline(b.getKey(), b.getValue(), evaluateAll(dir, b.getValue(), evalDir))
                    .with(judgments(evalDir), null, null, null));
            release(b.getValue());
        }
        return rows;
    }

    /**
     * report.json / report.md / report.html / charts through the shared report writer; the
     * pipeline's extra detail (models, per-benchmark numbers, stage counts) goes to summary.json.
     */
    private Map<String, Object> writeReport(SelectStage.Result selected, PairsStage.Result pairs, List<ScoreRow> rounds,
                                            List<ScoreRow> baselines) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("config_hash", cfg.hash());
        summary.put("iterations", cfg.iterations());
        summary.put("benchmarks", cfg.eval().benchmarks());
        summary.put("select", selected.stats());
        summary.put("pairs", pairs.stats());
        summary.put("rounds", rounds.stream().map(r -> r.toSummary(runDir)).toList());
        summary.put("baselines", baselines.stream().map(r -> r.toSummary(runDir)).toList());
        PipelineIo.writeJson(runDir.resolve("summary.json"), summary);
        // Every row's 95% interval and its paired difference from round 0, from the judgments files.
        Path seedJudgments = !rounds.isEmpty() && Integer.valueOf(0).equals(rounds.getFirst().round()) ? rounds.getFirst().judgments() : null;
        report = new RunReport("Self-taught evaluator run (" + String.join(", ", cfg.eval().benchmarks()) + ")",
                rounds.stream().map(r -> r.toReport(runDir, seedJudgments)).toList(),
                baselines.stream().map(r -> r.toReport(runDir, seedJudgments)).toList());
        ReportWriter.write(report, runDir);
        listener.after("report");
        return summary;
    }

    /**
     * One judge's line in the summary and the report: a round (0 = the seed) or a named baseline.
     *
     * @param metrics    benchmark name → metrics.json; the first benchmark is the headline
     * @param pairOrders the round's annotate counts (null: seed and baselines)
     * @param judgments  the headline benchmark's judgments.jsonl (its intervals), or null
     * @param pairs      the pairs the round was annotated from, or null
     * @param checkpoint the checkpoint selection kept ("final", "checkpoint-STEP"), or null
     * @param validation its validation score, or null
     */
    private record ScoreRow(Integer round, String name, String model, Map<String, JsonNode> metrics,
                            Map<String, Object> pairOrders, Path judgments, Long pairs, String checkpoint, Double validation) {
        static final List<String> DROP_REASONS = List.of("no_correct", "below_majority", "model_error", "dropped_by_balancing");

        static ScoreRow round(int round, String model, Map<String, JsonNode> metrics, Map<String, Object> pairOrders) {
            return new ScoreRow(round, round == 0 ? "seed" : "iteration " + round, model, metrics, pairOrders, null, null, null, null);
        }

        static ScoreRow baseline(String name, String model, Map<String, JsonNode> metrics) {
            return new ScoreRow(null, name, model, metrics, null, null, null, null, null);
        }

        ScoreRow with(Path judgmentsFile, Long pairCount, String chosen, Double score) {
            return new ScoreRow(round, name, model, metrics, pairOrders, judgmentsFile, pairCount, chosen, score);
        }

        private JsonNode primary() { return metrics.isEmpty() ? null : metrics.values().iterator().next(); }

        Double overall() {
            JsonNode p = primary();
            return p == null || !p.has("overall") ? null : p.get("overall").asDouble();
        }

        Object kept() { return pairOrders == null ? null : pairOrders.get("kept"); }

        Map<String, Object> dropped() {
            Map<String, Object> dropped = new LinkedHashMap<>();
            if (pairOrders != null) for (String k : DROP_REASONS) dropped.put(k, pairOrders.get(k));
            return dropped;
        }

        /** The row as summary.json has it (paths relative to the run directory). */
        Map<String, Object> toSummary(Path runDir) {
            Map<String, Object> row = new LinkedHashMap<>();
            if (round != null) row.put("round", round);
            row.put("model", model);
            row.put("overall", overall());
            row.put("categories", primary() == null ? Map.of() : primary().path("categories"));
            Map<String, Object> per = new LinkedHashMap<>();
            metrics.forEach((k, v) -> {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("overall", v.has("overall") ? v.get("overall").asDouble() : null);
                e.put("categories", v.path("categories"));
                per.put(k, e);
            });
            row.put("benchmarks", per);
            row.put("kept", kept());
            row.put("dropped", pairOrders == null ? Map.of() : dropped());
            if (pairs != null) row.put("pairs", pairs);
            if (checkpoint != null) row.put("checkpoint", checkpoint);
            if (validation != null) row.put("validation", validation);
            if (judgments != null) row.put("judgments", runDir.relativize(judgments).toString());
            if (round == null) row.put("name", name);
            TrainMethod method = method(runDir);
            if (method != null) row.put("method", method.id());
            return row;
        }

        /** How this round's judge was trained (its model.json), or null for the seed and baselines. */
        TrainMethod method(Path runDir) {
            return round == null || round == 0 ? null : TrainStage.methodOf(runDir.resolve("round-" + round));
        }

        /** The row as the shared report has it, with its intervals and paired difference from the seed's judgments. */
        RunReport.Row toReport(Path runDir, Path seedJudgments) {
            TrainMethod method = method(runDir);
            Map<String, Double> cats = new LinkedHashMap<>();
            if (primary() != null) primary().path("categories").properties().forEach(e -> cats.put(e.getKey(), e.getValue().asDouble()));
            Map<String, Long> dropped = new LinkedHashMap<>();
            dropped().forEach((k, v) -> {
                if (v instanceof Number num) dropped.put(k, num.longValue());
            });
            Long keptCount = kept() instanceof Number k ? k.longValue() : null;
            return new RunReport.Row(round, name, overall(), cats, keptCount, dropped).withPairs(pairs)
                    .withSelection(checkpoint, validation).withUncertainty(judgments, seedJudgments)
                    .withMethod(method == null ? null : method.id());
        }
    }

    private void printSummary(RunReport r, double seconds) {
        err.printf("%nrun finished in %.1f s (%s)%n", seconds, runDir);
        err.printf("%-14s %8s %16s %20s %8s%n", "", "overall", "95% interval", "vs seed", "kept");
        for (RunReport.Row row : r.rounds()) summaryLine("round " + row.round(), row);
        for (RunReport.Row row : r.baselines()) summaryLine(row.name(), row);
        err.printf("report: %s, %s, %s%n", runDir.resolve(ReportWriter.JSON), runDir.resolve(ReportWriter.MARKDOWN),
                runDir.resolve(ReportWriter.HTML));
    }

    private void summaryLine(String name, RunReport.Row r) {
        var ci = r.ci().get(RunReport.OVERALL);
        var d = r.vsSeed().get(RunReport.OVERALL);
        err.printf("%-14s %8s %16s %20s %8s%n", name, pct(r.overall()),
                ci == null ? "-" : String.format("[%.1f, %.1f]", 100 * ci.lo(), 100 * ci.hi()),
                d == null ? "-" : String.format("%+.1f [%+.1f, %+.1f]", 100 * d.diff(), 100 * d.ci().lo(), 100 * d.ci().hi()),
                r.kept() == null ? "-" : r.kept());
    }

    private static String pct(Object o) {
        return o instanceof Number n ? String.format("%.1f", n.doubleValue() * 100) : "-";
    }

    /**
     * Which checkpoint a round keeps, and why.
     *
     * @param candidates each candidate's name, spec and validation accuracy (empty without a validation set)
     * @param checkpoint  the winner's name ("final" = the trainer's result, "checkpoint-STEP"), or null without validation
     * @param validation  the winner's validation score, or null
     */
    private record CheckpointChoice(String selected, String rule, List<Map<String, Object>> candidates, String checkpoint,
                                    Double validation) {
        /** As selection.json and the manifest's {@code selection} have it. */
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            if (!candidates.isEmpty()) m.put("candidates", candidates);
            m.put("selected", selected);
            if (checkpoint != null) m.put("checkpoint", checkpoint);
            if (validation != null) m.put("validation", validation);
            m.put("rule", rule);
            return m;
        }
    }

    /**
     * Checkpoint selection (spec §2.5, issue #22): with a validation set, every candidate (the
     * trainer's result, "final", and every {@code checkpoint-STEP} directory the trainer saved beside
     * it, in step order) is evaluated on it and the most accurate is kept (ties: the trainer's
     * result, then the earlier checkpoint). The choice names the winner and its validation score.
     */
    private CheckpointChoice selectCheckpoint(RunDirectory dir, Path rd, String trained) {
        if (cfg.eval().validation() == null) {
            return new CheckpointChoice(trained, "no validation set: the trainer's final model", List.of(), null, null);
        }
        List<String> candidates = checkpointCandidates(rd, trained);
        List<Map<String, Object>> rows = new ArrayList<>();
        String best = null, bestName = null;
        double bestAcc = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < candidates.size(); k++) {
            String c = candidates.get(k);
            String name = k == 0 ? "final" : Path.of(c.substring(c.lastIndexOf('/') + 1)).toString();
            Path out = rd.resolve("validation").resolve(name);
            JsonNode m = evaluateOne(dir, c, cfg.eval().validation(), out);
            release(c);
            double acc = m.path("overall").asDouble(Double.NaN);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("checkpoint", name);
            row.put("model", c);
            row.put("overall", acc);
            rows.add(row);
            if (acc > bestAcc) {
                bestAcc = acc;
                best = c;
                bestName = name;
            }
        }
        CheckpointChoice choice = new CheckpointChoice(best == null ? trained : best,
                "highest overall on " + cfg.eval().validation(), rows, bestName, best == null ? null : bestAcc);
        PipelineIo.writeJson(rd.resolve("selection.json"), choice.toJson());
        return choice;
    }

    /** The trainer's result, then every {@code checkpoint*} directory the trainer left beside it. */
    private static List<String> checkpointCandidates(Path rd, String trained) {
        List<String> candidates = new ArrayList<>();
        candidates.add(trained);
        Path modelDir = rd.resolve("model");
        if (Files.isDirectory(modelDir)) {
            try (Stream<Path> s = Files.list(modelDir)) {
                s.filter(Files::isDirectory).filter(p -> p.getFileName().toString().startsWith("checkpoint"))
                        .sorted(java.util.Comparator.comparingLong(RunLoop::checkpointStep).thenComparing(Path::toString))
                        .forEach(p -> candidates.add("embedded:" + p.toAbsolutePath()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return candidates;
    }

    /** The step in a {@code checkpoint-STEP} name (HF layout), for ordering; other names sort last. */
    static long checkpointStep(Path p) {
        String n = p.getFileName().toString();
        try {
            return Long.parseLong(n.substring(n.lastIndexOf('-') + 1));
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private Map<String, JsonNode> evaluateAll(RunDirectory dir, String spec, Path evalDir) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (String b : cfg.eval().benchmarks()) out.put(benchName(b), evaluateOne(dir, spec, b, evalDir.resolve(benchName(b))));
        return out;
    }

    /** Evaluates one judge on one benchmark into outDir, skipped when its marker matches. */
    private JsonNode evaluateOne(RunDirectory dir, String spec, String benchmark, Path outDir) {
        return Stage.run(new EvalStage(evaluator, spec, () -> model(dir, spec), benchmark, outDir), force);
    }

    static String benchName(String b) {
        String n = Path.of(b).getFileName().toString();
        int dot = n.indexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /**
     * Writes round-i/manifest.json. A manifest already written for the same result is kept as it
     * is (a resumed run found the round finished; its original timings stay).
     */
    private void writeManifest(Path rd, Map<String, Object> manifest) {
        Path f = rd.resolve("manifest.json");
        if (Files.isRegularFile(f)) {
            JsonNode old = PipelineIo.readJson(f);
            JsonNode now = PipelineIo.JSON.valueToTree(manifest);
            boolean same = true;
            for (String k : List.of("config_hash", "inputs", "model", "counts", "metrics")) {
                same &= old.path(k).equals(now.path(k));
            }
            if (same) return;
        }
        PipelineIo.writeJson(f, manifest);
    }

    private static double secs(long t0) { return Math.round((System.nanoTime() - t0) / 1e6) / 1e3; }

    /** Production wiring of a round's trainer: external command, or the embedded trainer given. */
    public static TrainerFactory trainers(Function<TrainSettings, TrainerBackend> embedded) {
        return (settings, roundDir) -> switch (settings.backend()) {
            case "external" -> new dev.selftaught.train.ExternalCommandTrainer(settings.command(), settings.resultSpec(),
                    roundDir.resolve("train.log"),
                    settings.timeoutMinutes() > 0 ? java.time.Duration.ofMinutes(settings.timeoutMinutes()) : null);
            default -> embedded.apply(settings);
        };
    }
}
