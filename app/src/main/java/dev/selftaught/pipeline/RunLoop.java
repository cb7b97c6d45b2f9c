package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.report.ReportWriter;
import dev.selftaught.report.RunReport;
import dev.selftaught.store.CachedModel;
import dev.selftaught.store.RunDirectory;
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

    public RunLoop withListener(StageListener l) {
        this.listener = l;
        return this;
    }

    /** Runs (or resumes) the whole loop; returns report.json's content. */
    public Map<String, Object> run() {
        try (RunDirectory dir = RunDirectory.open(runDir)) {
            try {
                return runLocked(dir);
            } finally {
                for (LazyModel m : models.values()) m.close();
                models.clear();
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

    private Map<String, Object> runLocked(RunDirectory dir) {
        ProgressFactory bars = progress != null ? progress : ProgressFactory.lines(this.err);
        long tRun = System.nanoTime();
        PipelineIo.writeText(runDir.resolve("run.yaml"), "# resolved configuration; config_hash "
                + cfg.hash() + "\n" + new RunConfig.Loaded(cfg, secrets).redactedYaml());

        // Stage 1: select.
        long t = System.nanoTime();
        LazyModel categorizer = cfg.select().categorize() ? model(dir, cfg.models().categorizerSpec()) : null;
        SelectStage select = new SelectStage(cfg.select(), categorizer, null, cfg.concurrency(), bars);
        SelectStage.Result sel = select.runInto(runDir.resolve("select"),
                categorizer == null ? null : categorizer.identity(), force);
        err.printf("select: %d instructions kept %s%n", sel.instructions().size(), sel.stats());
        listener.after("select");

        // Stage 2: pairs, made once.
        LazyModel generator = model(dir, cfg.models().generatorSpec());
        PairsStage.Result pairs = new PairsStage(cfg.pairs(), generator, cfg.concurrency(), bars)
                .runInto(runDir.resolve("pairs"), runDir.resolve("select").resolve(SelectStage.OUTPUT), force);
        err.printf("pairs: %d pairs kept %s%n", pairs.pairs().size(), pairs.stats());
        if (!cfg.models().generatorSpec().equals(cfg.models().seed())) release(cfg.models().generatorSpec());
        listener.after("pairs");
        Path pairsFile = runDir.resolve("pairs").resolve(PairsStage.OUTPUT);

        List<Map<String, Object>> rounds = new ArrayList<>();
        // Round 0: the seed model on the test benchmarks.
        if (cfg.eval().evaluateSeed() && !cfg.eval().benchmarks().isEmpty()) {
            Map<String, JsonNode> m = evaluateAll(dir, cfg.models().seed(), runDir.resolve("round-0").resolve("eval"));
            rounds.add(withJudgments(reportRow(0, cfg.models().seed(), m, null), runDir.resolve("round-0").resolve("eval")));
            release(cfg.models().seed());
            listener.after("round-0/eval");
        }

        String judgeSpec = cfg.models().annotatorSpec();
        String previousModel = cfg.models().seed();
        for (int i = 1; i <= cfg.iterations(); i++) {
            Path rd = runDir.resolve("round-" + i);
            Map<String, Double> timings = new LinkedHashMap<>();

            t = System.nanoTime();
            LazyModel judge = model(dir, judgeSpec);
            AnnotateStage annotate = new AnnotateStage(cfg.annotate(), judge, i, cfg.concurrency(), bars);
            Map<String, Object> stats = annotate.runInto(rd, pairsFile, force);
            timings.put("annotate", secs(t));
            @SuppressWarnings("unchecked")
            Map<String, Object> po = (Map<String, Object>) stats.get("pair_orders");
            err.printf("round %d annotate (judge %s): %s%n", i, judgeSpec, po);
            release(judgeSpec);
            listener.after("round-" + i + "/annotate");

            t = System.nanoTime();
            String base = cfg.train().init().equals("previous") ? previousModel : cfg.models().seed();
            String trained = new TrainStage(cfg.train(), trainers.create(cfg.train(), rd)).runInto(rd, base, force);
            timings.put("train", secs(t));
            err.printf("round %d train: %s%n", i, trained);
            listener.after("round-" + i + "/train");

            t = System.nanoTime();
            Map<String, Object> selection = selectCheckpoint(dir, rd, trained);
            String selected = (String) selection.get("selected");
            timings.put("select_checkpoint", secs(t));
            listener.after("round-" + i + "/validate");

            t = System.nanoTime();
            Map<String, JsonNode> metrics = evaluateAll(dir, selected, rd.resolve("eval"));
            timings.put("eval", secs(t));
            release(selected);
            listener.after("round-" + i + "/eval");

            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("round", i);
            manifest.put("config_hash", cfg.hash());
            Map<String, String> inputs = new LinkedHashMap<>();
            inputs.put("pairs", PipelineIo.sha256(pairsFile));
            inputs.put("judge", judgeSpec);
            inputs.put("base_model", base);
            inputs.put("sft", PipelineIo.sha256(rd.resolve(AnnotateStage.SFT)));
            manifest.put("inputs", inputs);
            manifest.put("model", selected);
            manifest.put("counts", stats);
            manifest.put("selection", selection);
            Map<String, Object> mm = new LinkedHashMap<>();
            metrics.forEach((k, v) -> mm.put(k, v));
            manifest.put("metrics", mm);
            manifest.put("timings_seconds", timings);
            writeManifest(rd, manifest);
            Map<String, Object> row = withJudgments(reportRow(i, selected, metrics, po), rd.resolve("eval"));
            row.put("pairs", pairs.pairs().size());
            row.put("checkpoint", selection.get("checkpoint"));
            row.put("validation", selection.get("validation"));
            rounds.add(row);

            judgeSpec = selected;
            previousModel = selected;
        }

        List<Map<String, Object>> baselines = new ArrayList<>();
        for (var b : cfg.eval().baselines().entrySet()) {
            if (cfg.eval().benchmarks().isEmpty()) break;
            Map<String, JsonNode> m = evaluateAll(dir, b.getValue(), runDir.resolve("baselines").resolve(b.getKey()));
            Map<String, Object> row = withJudgments(reportRow(-1, b.getValue(), m, null), runDir.resolve("baselines").resolve(b.getKey()));
            row.remove("round");
            row.put("name", b.getKey());
            baselines.add(row);
            release(b.getValue());
        }

        // report.json / report.md / report.html / charts through the shared report writer; the
        // pipeline's extra detail (models, per-benchmark numbers, stage counts) goes to summary.json.
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("config_hash", cfg.hash());
        summary.put("iterations", cfg.iterations());
        summary.put("benchmarks", cfg.eval().benchmarks());
        summary.put("select", sel.stats());
        summary.put("pairs", pairs.stats());
        summary.put("rounds", rounds);
        summary.put("baselines", baselines);
        PipelineIo.writeJson(runDir.resolve("summary.json"), summary);
        Path seedJudgments = rounds.isEmpty() || !Integer.valueOf(0).equals(rounds.getFirst().get("round")) ? null
                : judgments(rounds.getFirst());
        RunReport report = new RunReport("Self-taught evaluator run (" + String.join(", ", cfg.eval().benchmarks()) + ")",
                rounds.stream().map(r -> reportRow(r, seedJudgments)).toList(),
                baselines.stream().map(r -> reportRow(r, seedJudgments)).toList());
        ReportWriter.write(report, runDir);
        listener.after("report");
        printSummary(report, secs(tRun));
        return summary;
    }

    /** Records where a row's primary benchmark judgments are (relative to the run directory), for its intervals. */
    private Map<String, Object> withJudgments(Map<String, Object> row, Path evalDir) {
        if (!cfg.eval().benchmarks().isEmpty()) {
            Path f = evalDir.resolve(benchName(cfg.eval().benchmarks().getFirst())).resolve("judgments.jsonl");
            row.put("judgments", runDir.relativize(f).toString());
        }
        return row;
    }

    private Path judgments(Map<String, Object> row) {
        return row.get("judgments") instanceof String s ? runDir.resolve(s) : null;
    }

    /**
     * One row of the shared report from a summary row, with its 95% intervals and the paired
     * difference from the seed computed from the judgments files (see {@code Bootstrap}).
     */
    private RunReport.Row reportRow(Map<String, Object> r, Path seedJudgments) {
        RunReport.Row row = reportRow(r);
        row = row.withPairs(r.get("pairs") instanceof Number n ? n.longValue() : null)
                .withSelection((String) r.get("checkpoint"), r.get("validation") instanceof Number v ? v.doubleValue() : null);
        return row.withUncertainty(judgments(r), seedJudgments);
    }

    /** One row of the shared report from a summary row. */
    @SuppressWarnings("unchecked")
    private static RunReport.Row reportRow(Map<String, Object> r) {
        Map<String, Double> cats = new LinkedHashMap<>();
        Object c = r.get("categories");
        if (c instanceof JsonNode n) n.properties().forEach(e -> cats.put(e.getKey(), e.getValue().asDouble()));
        Map<String, Long> dropped = new LinkedHashMap<>();
        ((Map<String, Object>) r.getOrDefault("dropped", Map.of())).forEach((k, v) -> {
            if (v instanceof Number num) dropped.put(k, num.longValue());
        });
        Integer round = r.get("round") instanceof Integer i ? i : null;
        String name = r.containsKey("name") ? (String) r.get("name") : round == 0 ? "seed" : "iteration " + round;
        Long kept = r.get("kept") instanceof Number k ? k.longValue() : null;
        return new RunReport.Row(round, name, (Double) r.get("overall"), cats, kept, dropped);
    }

    private void printSummary(RunReport report, double seconds) {
        err.printf("%nrun finished in %.1f s (%s)%n", seconds, runDir);
        err.printf("%-14s %8s %16s %16s %8s%n", "", "overall", "95% interval", "vs seed", "kept");
        for (RunReport.Row r : report.rounds()) summaryLine("round " + r.round(), r);
        for (RunReport.Row b : report.baselines()) summaryLine(b.name(), b);
        err.printf("report: %s, %s, %s%n", runDir.resolve(ReportWriter.JSON), runDir.resolve(ReportWriter.MARKDOWN),
                runDir.resolve(ReportWriter.HTML));
    }

    private void summaryLine(String name, RunReport.Row r) {
        var ci = r.ci().get(RunReport.OVERALL);
        var d = r.vsSeed().get(RunReport.OVERALL);
        err.printf("%-14s %8s %16s %16s %8s%n", name, pct(r.overall()),
                ci == null ? "-" : String.format("[%.1f, %.1f]", 100 * ci.lo(), 100 * ci.hi()),
                d == null ? "-" : String.format("%+.1f [%+.1f, %+.1f]", 100 * d.diff(), 100 * d.ci().lo(), 100 * d.ci().hi()),
                r.kept() == null ? "-" : r.kept());
    }

    private static String pct(Object o) {
        return o instanceof Number n ? String.format("%.1f", n.doubleValue() * 100) : "-";
    }

    /**
     * Checkpoint selection (spec §2.5, issue #22): with a validation set, every candidate (the
     * trainer's result, "final", and every {@code checkpoint-STEP} directory the trainer saved beside
     * it, in step order) is evaluated on it and the most accurate is kept (ties: the trainer's
     * result, then the earlier checkpoint). The result names the winner and its validation score.
     */
    private Map<String, Object> selectCheckpoint(RunDirectory dir, Path rd, String trained) {
        Map<String, Object> sel = new LinkedHashMap<>();
        if (cfg.eval().validation() == null) {
            sel.put("selected", trained);
            sel.put("rule", "no validation set: the trainer's final model");
            return sel;
        }
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
        sel.put("candidates", rows);
        sel.put("selected", best == null ? trained : best);
        if (best != null) {
            sel.put("checkpoint", bestName);
            sel.put("validation", bestAcc);
        }
        sel.put("rule", "highest overall on " + cfg.eval().validation());
        PipelineIo.writeJson(rd.resolve("selection.json"), sel);
        return sel;
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
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("judge", spec);
        inputs.put("benchmark", evaluator.inputsHash(benchmark));
        if (StageMarker.check(outDir, "eval", inputs, force) == StageMarker.Decision.SKIP) {
            return PipelineIo.readJson(outDir.resolve("metrics.json"));
        }
        StageMarker.clear(outDir);
        JsonNode m = evaluator.evaluate(model(dir, spec), benchmark, outDir);
        List<String> outs = new ArrayList<>(List.of("metrics.json"));
        if (Files.exists(outDir.resolve("judgments.jsonl"))) outs.add("judgments.jsonl");
        StageMarker.markDone(outDir, "eval", inputs, outs);
        return m;
    }

    static String benchName(String b) {
        String n = Path.of(b).getFileName().toString();
        int dot = n.indexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    private Map<String, Object> reportRow(int round, String model, Map<String, JsonNode> metrics, Map<String, Object> po) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("round", round);
        row.put("model", model);
        JsonNode primary = metrics.isEmpty() ? null : metrics.values().iterator().next();
        row.put("overall", primary == null || !primary.has("overall") ? null : primary.get("overall").asDouble());
        row.put("categories", primary == null ? Map.of() : primary.path("categories"));
        Map<String, Object> per = new LinkedHashMap<>();
        metrics.forEach((k, v) -> {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("overall", v.has("overall") ? v.get("overall").asDouble() : null);
            e.put("categories", v.path("categories"));
            per.put(k, e);
        });
        row.put("benchmarks", per);
        if (po != null) {
            row.put("kept", po.get("kept"));
            Map<String, Object> dropped = new LinkedHashMap<>();
            for (String k : List.of("no_correct", "below_majority", "model_error", "dropped_by_balancing")) dropped.put(k, po.get(k));
            row.put("dropped", dropped);
        } else {
            row.put("kept", null);
            row.put("dropped", Map.of());
        }
        return row;
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
