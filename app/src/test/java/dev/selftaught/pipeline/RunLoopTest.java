package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.train.TrainJob;
import dev.selftaught.train.TrainerBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The whole loop on the scripted model and a scripted trainer: artifacts, report, checkpoint
 * selection, and kill-and-resume at several points giving the same artifacts with no repeated call.
 */
class RunLoopTest {
    @TempDir Path tmp;

    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    /** Everything one simulated "machine" shares across process restarts: the inner-call counter. */
    static final class World {
        final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
        final AtomicLong crashBudget = new AtomicLong(-1);
        final List<String> trained = new ArrayList<>();

        RunLoop.ModelOpener opener() {
            return spec -> {
                String s = spec;
                if (spec.startsWith("embedded:")) {
                    try {
                        s = Files.readString(Path.of(spec.substring("embedded:".length())).resolve("spec.txt")).strip();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
                ScriptedModel m = ScriptedModel.fromSpec(s, calls);
                m.crashBudget = crashBudget;
                return m;
            };
        }

        /** A trainer whose result judges better the more SFT rows it saw; writes a weaker checkpoint too. */
        RunLoop.TrainerFactory trainers() {
            return (settings, roundDir) -> (TrainerBackend) (TrainJob job) -> {
                try {
                    long rows = Files.readAllLines(job.data()).stream().filter(l -> !l.isBlank()).count();
                    double skill = Math.min(0.95, 0.6 + 0.01 * rows);
                    String round = job.outputDir().getParent().getFileName().toString();
                    Files.createDirectories(job.outputDir().resolve("checkpoint-1"));
                    Files.writeString(job.outputDir().resolve("spec.txt"), "scripted:" + round + "@" + skill);
                    Files.writeString(job.outputDir().resolve("checkpoint-1").resolve("spec.txt"),
                            "scripted:" + round + "-ckpt1@" + (skill - 0.3));
                    synchronized (trained) { trained.add(round + " from " + job.baseModel()); }
                    return "embedded:" + job.outputDir().toAbsolutePath();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            };
        }
    }

    Path writeInputs() throws IOException {
        StringBuilder pool = new StringBuilder();
        for (int i = 0; i < 10; i++) pool.append("{\"instruction\": \"Compute ").append(i).append(" plus ").append(i * 3).append("\"}\n");
        pool.append("{\"instruction\": \"Compute 1 plus 3\"}\n"); // duplicate
        pool.append("{\"instruction\": \"NOMARKER 7\"}\n");      // pair dropped: missing marker
        Files.writeString(tmp.resolve("pool.jsonl"), pool);
        StringBuilder bench = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            String q = "Benchmark question " + i;
            bench.append("{\"id\": \"b").append(i).append("\", \"prompt\": \"").append(q).append("\", \"chosen\": \"Answer to: ")
                    .append(q).append("\", \"rejected\": \"Something else ").append(i).append("\", \"subset\": \"llmbar-natural\"}\n");
        }
        Files.writeString(tmp.resolve("bench.jsonl"), bench);
        Files.writeString(tmp.resolve("valid.jsonl"), bench.toString().replace("Benchmark question", "Validation question"));
        String yaml = """
                seed: 11
                iterations: 2
                concurrency: 2
                models:
                  seed: scripted:seed@0.45
                  generator: scripted:gen@1.0
                  annotator: scripted:mixtral@0.7
                select:
                  pool: %s
                  max_count: 8
                pairs:
                  max_tokens: 128
                annotate:
                  samples: 3
                  dpo: true
                eval:
                  validation: %s
                  benchmarks: [%s]
                  baselines:
                    gpt: scripted:gpt@0.8
                """.formatted(tmp.resolve("pool.jsonl"), tmp.resolve("valid.jsonl"), tmp.resolve("bench.jsonl"));
        Path cfg = tmp.resolve("run.yaml");
        Files.writeString(cfg, yaml);
        return cfg;
    }

    @Test
    void theReportSaysWhichMethodTrainedEachRound() throws Exception {
        RunConfig cfg = RunConfig.load(writeInputs(), List.of("train.method=sft+dpo", "iterations=1")).config();
        World w = new World();
        Path run = tmp.resolve("methods");
        loop(cfg, run, w).run();
        // SFT from the seed into model-sft, then DPO from (and against) that model into model
        assertEquals(2, w.trained.size(), w.trained.toString());
        assertTrue(w.trained.get(1).endsWith(TrainStage.SFT_MODEL), w.trained.toString());
        JsonNode report = PipelineIo.readJson(run.resolve("report.json"));
        assertFalse(report.path("rounds").get(0).has("method"), "the seed was not trained by the run");
        assertEquals("sft+dpo", report.path("rounds").get(1).path("method").asText());
        assertTrue(Files.readString(run.resolve("report.md")).contains("| Iteration 1 | sft+dpo |"));
        assertEquals("sft+dpo", PipelineIo.readJson(run.resolve("round-1/manifest.json")).path("method").asText());
        assertTrue(PipelineIo.readJson(run.resolve("round-1/manifest.json")).path("inputs").has("dpo"));
        assertEquals("sft+dpo", PipelineIo.readJson(run.resolve("summary.json")).path("rounds").get(1).path("method").asText());
    }

    static RunLoop loop(RunConfig cfg, Path runDir, World w) {
        return new RunLoop(cfg, runDir, w.opener(), w.trainers(), new BenchmarkEvaluator(cfg.eval(), 2, null), false, QUIET);
    }

    /** Every artifact file's content, minus the parts that legitimately differ between runs (times). */
    static Map<String, String> artifacts(Path runDir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(runDir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = runDir.relativize(p).toString();
                String name = p.getFileName().toString();
                if (name.startsWith("calls.sqlite") || name.equals("lock") || name.equals("done") || name.equals("spec.txt")) continue;
                String text = name.endsWith(".png") ? new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1)
                        : Files.readString(p);
                if (name.equals("manifest.json") || name.equals("model.json")) {
                    text = text.replaceAll("\"(seconds|annotate|train|eval|select_checkpoint)\" : [0-9.E-]+", "\"$1\" : T");
                }
                out.put(rel, text.replace(runDir.toAbsolutePath().toString(), "RUN"));
            }
        }
        return out;
    }

    @Test
    void wholeLoopEndToEndThenKillAndResumeGivesTheSameArtifactsWithoutRepeatedCalls() throws Exception {
        RunConfig cfg = RunConfig.load(writeInputs());

        // 1. Uninterrupted run.
        World a = new World();
        Path runA = tmp.resolve("runA");
        long t0 = System.nanoTime();
        Map<String, Object> report = loop(cfg, runA, a).withListener(st -> System.err.printf("  %s at %.1f s%n", st, (System.nanoTime() - t0) / 1e9)).run();
        System.err.printf("uninterrupted run: %.1f s, %d calls%n", (System.nanoTime() - t0) / 1e9,
                a.calls.values().stream().mapToLong(AtomicLong::get).sum());
        Map<String, String> expected = artifacts(runA);

        for (String f : List.of("select/instructions.jsonl", "select/stats.json", "pairs/pairs.jsonl", "pairs/stats.json",
                "round-1/annotations.jsonl", "round-1/sft.jsonl", "round-1/sft_fairseq2.jsonl", "round-1/dpo.jsonl",
                "round-1/dpo_fairseq2.jsonl", "round-1/stats.json", "round-1/manifest.json", "round-1/selection.json",
                "round-2/manifest.json", "round-0/eval/bench/metrics.json", "round-2/eval/bench/metrics.json",
                "baselines/gpt/bench/metrics.json", "report.json", "report.md", "report.html", "charts/accuracy.png",
                "charts/kept.png", "summary.json", "run.yaml")) {
            assertTrue(expected.containsKey(f), "missing " + f + " in " + expected.keySet());
        }
        JsonNode sel = PipelineIo.readJson(runA.resolve("select/stats.json"));
        assertEquals(12, sel.path("read").asInt());
        assertEquals(1, sel.path("duplicate").asInt());
        assertEquals(8, sel.path("kept").asInt());
        JsonNode rep = PipelineIo.readJson(runA.resolve("report.json"));
        assertEquals(3, rep.path("rounds").size(), "round 0 (seed) + 2 iterations");
        assertEquals(0, rep.path("rounds").get(0).path("round").asInt());
        assertTrue(rep.path("rounds").get(1).path("kept").asInt() > 0);
        assertTrue(rep.path("rounds").get(1).path("dropped").has("no_correct"));
        assertEquals("gpt", rep.path("baselines").get(0).path("name").asText());
        assertEquals("seed", rep.path("rounds").get(0).path("name").asText());
        assertTrue(rep.path("rounds").get(2).path("overall").isNumber());
        assertTrue(Files.readString(runA.resolve("report.md")).contains("Iteration 2"));
        assertTrue(rep.path("rounds").get(0).has("categories"));
        // Every round trains from the seed (the method's default), and round 2 is judged... by round 1's model.
        assertEquals(2, a.trained.size());
        assertTrue(a.trained.stream().allMatch(t -> t.endsWith("from scripted:seed@0.45")), a.trained.toString());
        JsonNode m2 = PipelineIo.readJson(runA.resolve("round-2/manifest.json"));
        assertTrue(m2.path("inputs").path("judge").asText().endsWith("round-1/model"), m2.toString());
        // Checkpoint selection picked the better final model over the weaker checkpoint.
        JsonNode s1 = PipelineIo.readJson(runA.resolve("round-1/selection.json"));
        assertEquals(2, s1.path("candidates").size());
        assertTrue(s1.path("selected").asText().endsWith("round-1/model"), s1.toString());
        // The report names the winner and its validation score, the pairs and kept rows, and every
        // score's interval and paired difference from the seed (from the judgments files).
        JsonNode r1 = rep.path("rounds").get(1);
        assertEquals("final", r1.path("checkpoint").asText(), r1.toString());
        assertEquals(s1.at("/candidates/0/overall").asDouble(), r1.path("validation").asDouble(), 1e-12);
        assertEquals(PipelineIo.readJsonl(runA.resolve("pairs/pairs.jsonl"), java.util.Map.class).size(), r1.path("pairs").asInt());
        for (JsonNode row : rep.path("rounds")) {
            JsonNode ci = row.at("/ci/Overall");
            double v = row.path("overall").asDouble();
            assertTrue(ci.get(0).asDouble() <= v && v <= ci.get(1).asDouble(), row.toString());
        }
        JsonNode d1 = r1.at("/vs_seed/Overall");
        assertEquals(r1.path("overall").asDouble() - rep.at("/rounds/0/overall").asDouble(), d1.path("diff").asDouble(), 1e-12);
        assertTrue(rep.at("/rounds/0/vs_seed").isMissingNode(), "the seed is not compared with itself");
        String md = Files.readString(runA.resolve("report.md"));
        assertTrue(md.contains("Difference from the seed") && md.contains("Selected checkpoint"), md);
        // Round 1 is annotated by the annotator, round 2 by the round-1 model.
        assertEquals("scripted:mixtral@0.7", PipelineIo.readJson(runA.resolve("round-1/stats.json")).path("judge").asText());
        long callsA = a.calls.values().stream().mapToLong(AtomicLong::get).sum();
        assertTrue(a.calls.values().stream().allMatch(c -> c.get() == 1), "no call is made twice even in one run");
        assertNotNull(report.get("rounds"));

        // 2. A no-op rerun: nothing is recomputed, no model is called, artifacts unchanged.
        long sftTime = Files.getLastModifiedTime(runA.resolve("round-1/sft.jsonl")).toMillis();
        long modelTime = Files.getLastModifiedTime(runA.resolve("round-1/model.json")).toMillis();
        int trainedBefore = a.trained.size();
        loop(cfg, runA, a).run();
        assertEquals(sftTime, Files.getLastModifiedTime(runA.resolve("round-1/sft.jsonl")).toMillis(), "annotate skipped");
        assertEquals(modelTime, Files.getLastModifiedTime(runA.resolve("round-1/model.json")).toMillis(), "train skipped");
        assertEquals(trainedBefore, a.trained.size(), "no training on a rerun");
        assertEquals(callsA, a.calls.values().stream().mapToLong(AtomicLong::get).sum(), "rerun must not call any model");
        assertEquals(expected, artifacts(runA));

        // 3. Crashes: after stages (listener) and in the middle of model batches (crash budget).
        World b = new World();
        Path runB = tmp.resolve("runB");
        int crashes = 0;
        for (long budget : List.of(5L, 30L)) {
            b.crashBudget.set(budget);
            try {
                loop(cfg, runB, b).run();
            } catch (RuntimeException e) {
                assertTrue(e.toString().contains("injected crash"), e.toString());
                crashes++;
            }
        }
        assertEquals(2, crashes, "each budget ends inside a model batch");
        List<String> crashAfter = List.of("round-1/train", "round-2/annotate", "round-2/eval");
        for (String stage : crashAfter) {
            RuntimeException e = assertThrows(RuntimeException.class, () -> loop(cfg, runB, b)
                    .withListener(s -> { if (s.equals(stage)) throw new IllegalStateException("killed after " + s); }).run());
            assertTrue(e.getMessage().contains("killed after " + stage), e.getMessage());
        }
        b.crashBudget.set(-1);
        loop(cfg, runB, b).run();
        assertEquals(expected.keySet(), artifacts(runB).keySet());
        Map<String, String> got = artifacts(runB);
        for (String k : expected.keySet()) {
            assertEquals(expected.get(k).replace("runA", "RUNX"), got.get(k).replace("runB", "RUNX"), "artifact " + k);
        }
        assertTrue(b.calls.values().stream().allMatch(c -> c.get() == 1),
                "a resumed run repeats no model call: " + b.calls.values().stream().filter(c -> c.get() > 1).count());
        assertEquals(callsA, b.calls.values().stream().mapToLong(AtomicLong::get).sum());
    }

    @Test
    void changedConfigIsAnErrorUnlessForced() throws Exception {
        Path cfgFile = writeInputs();
        RunConfig cfg = RunConfig.load(cfgFile, List.of("iterations=1", "eval.baselines={}")).config();
        World w = new World();
        Path run = tmp.resolve("run");
        loop(cfg, run, w).run();
        Files.writeString(cfgFile, Files.readString(cfgFile).replace("samples: 3", "samples: 2"));
        RunConfig changed = RunConfig.load(cfgFile, List.of("iterations=1", "eval.baselines={}")).config();
        var e = assertThrows(dev.selftaught.data.InputError.class, () -> loop(changed, run, w).run());
        assertTrue(e.getMessage().contains("annotate") && e.getMessage().contains("--force"), e.getMessage());
        new RunLoop(changed, run, w.opener(), w.trainers(), new BenchmarkEvaluator(changed.eval(), 2, null), true, QUIET).run();
        assertTrue(Files.readString(run.resolve("round-1/stats.json")).contains("\"total\" : "));
    }
}
