package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.cli.RunCommand;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.ModelStats;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.eval.JudgePrompts;
import dev.selftaught.eval.bench.Benchmarks;
import dev.selftaught.microworld.Benchmark;
import dev.selftaught.microworld.Corpus;
import dev.selftaught.microworld.MicroPrompts;
import dev.selftaught.microworld.SeedPretrainer;
import dev.selftaught.microworld.SeedRecipe;
import dev.selftaught.microworld.WorldFiles;
import dev.selftaught.server.OpenAiServer;
import dev.selftaught.server.ServerOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The whole self-taught loop on the real engine: a tiny seed pre-trained in the test (micro-world
 * corpus, seconds), {@code embedded:} models as generator, annotator and judge, the embedded
 * trainer fine-tuning every round, checkpoint selection on a validation set and evaluation on a
 * micro-benchmark, with the micro-world's compact prompts so everything fits the tiny context.
 *
 * <p>Run A goes through {@code selftaught run} (the command line, production wiring). Run B is the
 * same loop with every model call made over HTTP: the generator and round-1 annotator are
 * {@code http://127.0.0.1:PORT/v1#seed} specs of an {@link OpenAiServer} over the seed, and every
 * {@code embedded:} spec the loop opens (the seed for round 0, each round's trained checkpoint as the
 * next judge, the checkpoint-selection candidates) is served by its own {@link OpenAiServer} and used
 * through the HTTP client. Training stays local (the trainer needs the checkpoint files). With the
 * same seeds the two runs must write identical artifacts; what is compared is listed in
 * {@link #httpRunGivesTheSameArtifactsAsTheEmbeddedRun}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndEmbeddedTest {
    /** Small enough to pre-train in seconds; a context that holds a compact judge prompt with two answers and a reasoned judgment (up to 190 + 62 tokens at this vocabulary). */
    static final SeedRecipe RECIPE = new SeedRecipe(48, 128, 1, 2, 384, 288, 0, 200, EPOCHS(), 1024, 4e-3f, 7, 2);
    static int EPOCHS() { return Integer.getInteger("e2e.epochs", 2); }
    static final int ITERATIONS = 2, SAMPLES = 3, POOL = 20, BENCH_PER_CATEGORY = 2, VAL_PER_CATEGORY = 1;

    @TempDir static Path tmp;
    static String seedSpec;
    static Path runA;
    static double pretrainSeconds, runASeconds;

    @BeforeAll
    static void pretrainSeedAndRunTheLoopEmbedded() throws Exception {
        long t0 = System.nanoTime();
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);
        seedSpec = SeedPretrainer.train(RECIPE, focusedCorpus(), tmp.resolve("seed"), quiet).spec();
        pretrainSeconds = (System.nanoTime() - t0) / 1e9;
        Path world = tmp.resolve("world");
        WorldFiles.writePool(world.resolve("pool.jsonl"), POOL);
        WorldFiles.writePairs(world.resolve("bench.jsonl"), Benchmark.test(BENCH_PER_CATEGORY));
        WorldFiles.writePairs(world.resolve("validation.jsonl"), Benchmark.validation(VAL_PER_CATEGORY));
        MicroPrompts.writeAll(world.resolve("prompts"));

        runA = tmp.resolve("A");
        t0 = System.nanoTime();
        PipelineCliTest.Out o = PipelineCliTest.run("run", "--config", config("A", seedSpec, seedSpec).toString(),
                "--run-dir", runA.toString(), "--threads", "2");
        runASeconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(0, o.code(), o.err());
    }

    /**
     * The micro-world corpus restricted to what this loop asks of the seed: answering, writing a
     * modified instruction and its answer between the pair markers, and judging in the compact
     * format. A seed this small learns those output formats in seconds only when they dominate.
     */
    static List<Corpus.Conversation> focusedCorpus() {
        Map<String, Integer> want = Map.of("respond", Integer.getInteger("e2e.respond", 150),
                "modify", Integer.getInteger("e2e.modify", 400), "judge", Integer.getInteger("e2e.judge", 300));
        Map<String, Integer> have = new java.util.HashMap<>();
        List<Corpus.Conversation> out = new ArrayList<>();
        for (Corpus.Conversation c : Corpus.build(RECIPE.seed(), 6000, Benchmark.heldOutInstructions())) {
            int n = have.merge(c.kind(), 1, Integer::sum);
            if (n <= want.getOrDefault(c.kind(), 0)) out.add(c);
        }
        return out;
    }

    /** The run config; only the generator and annotator specs differ between the two runs. */
    static Path config(String name, String generator, String annotator) throws Exception {
        Path world = tmp.resolve("world");
        Path prompts = world.resolve("prompts");
        Path cfg = tmp.resolve(name + ".yaml");
        Files.writeString(cfg, """
                seed: 11
                iterations: %d
                concurrency: 4
                models:
                  seed: "%s"
                  generator: "%s"
                  annotator: "%s"
                select:
                  pool: "%s"
                pairs:
                  prompt: "%s"
                  temperature: 0
                  max_tokens: 150
                annotate:
                  samples: %d
                  max_tokens: 80
                  template: "%s"
                train:
                  backend: embedded
                  settings: {epochs: 2, lr: 3.0e-3, batch_tokens: 1024, warmup: 1, seed: 3, threads: 2}
                eval:
                  validation: "%s"
                  benchmarks: ["%s"]
                  max_tokens: 80
                """.formatted(ITERATIONS, seedSpec, generator, annotator, world.resolve("pool.jsonl"),
                prompts.resolve(MicroPrompts.MODIFIED), SAMPLES, prompts.resolve(MicroPrompts.JUDGE),
                world.resolve("validation.jsonl"), world.resolve("bench.jsonl")));
        return cfg;
    }

    static long lines(Path f) throws Exception {
        try (var s = Files.lines(f)) {
            return s.filter(l -> !l.isBlank()).count();
        }
    }

    @Test
    @Order(1)
    void everyStageRanOnTheEngineAndTheCountsAddUp() throws Exception {
        System.err.printf("EndToEndEmbeddedTest: seed pre-trained in %.1f s, embedded run in %.1f s%n", pretrainSeconds, runASeconds);
        // select: every pool row is accounted for
        JsonNode sel = PipelineIo.readJson(runA.resolve("select/stats.json"));
        long dropped = 0;
        for (var e : sel.properties()) if (!Set.of("read", "kept").contains(e.getKey())) dropped += e.getValue().asLong();
        assertEquals(POOL, sel.path("read").asInt());
        assertEquals(sel.path("read").asLong(), dropped + sel.path("kept").asLong(), sel.toString());
        assertEquals(sel.path("kept").asLong(), lines(runA.resolve("select/instructions.jsonl")));

        // pairs: the seed wrote y_w, x' and y_l between the markers for some instructions
        JsonNode ps = PipelineIo.readJson(runA.resolve("pairs/stats.json"));
        long pdrop = 0;
        for (var e : ps.properties()) if (!Set.of("instructions", "kept").contains(e.getKey())) pdrop += e.getValue().asLong();
        assertEquals(ps.path("instructions").asLong(), pdrop + ps.path("kept").asLong(), ps.toString());
        long pairs = ps.path("kept").asLong();
        assertTrue(pairs > 0, "the seed made no usable pair: " + ps);
        assertEquals(pairs, lines(runA.resolve("pairs/pairs.jsonl")));
        for (Records.Pair p : PipelineIo.readJsonl(runA.resolve("pairs/pairs.jsonl"), Records.Pair.class)) {
            assertFalse(p.chosen().isBlank() || p.rejected().isBlank(), p.toString());
            assertNotEquals(p.instruction().strip(), p.modifiedInstruction().strip(), p.toString());
        }

        var seedWeights = dev.selftaught.engine.load.ModelLoader.load(Path.of(seedSpec.substring("embedded:".length()))).weights();
        long benchN = 4L * BENCH_PER_CATEGORY;
        for (int i = 1; i <= ITERATIONS; i++) {
            Path rd = runA.resolve("round-" + i);
            JsonNode st = PipelineIo.readJson(rd.resolve("stats.json"));
            JsonNode s = st.path("samples"), po = st.path("pair_orders");
            System.err.printf("EndToEndEmbeddedTest: pairs %s; round %d samples %s pair_orders %s%n", ps, i, s, po);
            // every pair in both orders, SAMPLES judgments each, each one classified once
            assertEquals(pairs * 2 * SAMPLES, lines(rd.resolve("annotations.jsonl")), "round " + i);
            assertEquals(pairs * 2 * SAMPLES, s.path("total").asLong());
            assertEquals(s.path("total").asLong(), s.path("no_verdict").asLong() + s.path("tie").asLong()
                    + s.path("wrong").asLong() + s.path("correct").asLong(), st.toString());
            assertEquals(pairs * 2, po.path("total").asLong());
            assertEquals(po.path("kept").asLong(), po.path("kept_A").asLong() + po.path("kept_B").asLong());
            assertEquals(po.path("kept_A").asLong(), po.path("kept_B").asLong(), "balanced");
            assertEquals(po.path("total").asLong(), po.path("model_error").asLong() + po.path("no_correct").asLong()
                    + po.path("below_majority").asLong() + po.path("candidates_A").asLong() + po.path("candidates_B").asLong(), st.toString());
            assertEquals(0, po.path("model_error").asLong(), "every judge prompt fits the context: " + st);
            // the SFT rows are exactly the kept, correct judgments
            List<JsonNode> ann = PipelineIo.readJsonl(rd.resolve("annotations.jsonl"), JsonNode.class);
            List<String> keptTexts = new ArrayList<>();
            for (JsonNode a : ann) {
                if (a.path("kept").asBoolean()) {
                    assertTrue(a.path("correct").asBoolean(), a.toString());
                    keptTexts.add(a.path("text").asText());
                }
            }
            List<JsonNode> sft = PipelineIo.readJsonl(rd.resolve("sft.jsonl"), JsonNode.class);
            assertEquals(po.path("kept").asLong(), sft.size());
            assertEquals(sft.size(), keptTexts.size());
            List<String> sftTexts = new ArrayList<>();
            for (JsonNode row : sft) sftTexts.add(row.path("messages").get(row.path("messages").size() - 1).path("content").asText());
            Collections.sort(keptTexts);
            Collections.sort(sftTexts);
            assertEquals(keptTexts, sftTexts);

            // training ran on the engine from the seed and wrote a different checkpoint
            JsonNode model = PipelineIo.readJson(rd.resolve("model.json"));
            if (sft.isEmpty()) {
                assertTrue(model.has("note"), model.toString());
            } else {
                assertEquals("embedded:" + rd.resolve("model").toAbsolutePath(), model.path("model").asText());
                assertEquals(seedSpec, model.path("base").asText(), "every round trains from the seed");
                var trained = dev.selftaught.engine.load.ModelLoader.load(rd.resolve("model")).weights();
                assertEquals(seedWeights.config.dim(), trained.config.dim());
                assertEquals(seedWeights.wq[0].length, trained.wq[0].length);
                assertFalse(java.util.Arrays.equals(seedWeights.wq[0], trained.wq[0]), "fine-tuning changed the weights");
            }
            assertSelectedIsTheMostAccurateCandidate(PipelineIo.readJson(rd.resolve("selection.json")));
            JsonNode m = PipelineIo.readJson(rd.resolve("eval/bench/metrics.json"));
            assertEquals(benchN, m.path("n").asLong(), m.toString());
            assertEquals(benchN, lines(rd.resolve("eval/bench/judgments.jsonl")));
            assertTrue(m.path("overall").isNumber(), m.toString());
        }
        assertTrue(PipelineIo.readJson(runA.resolve("round-1/stats.json")).path("pair_orders").path("kept").asLong() > 0,
                "round 1 kept judgments to train on");
        sumsInRound0();
        JsonNode report = PipelineIo.readJson(runA.resolve("report.json"));
        assertEquals(ITERATIONS + 1, report.path("rounds").size(), report.toString());
        assertTrue(Files.isRegularFile(runA.resolve("report.html")));
    }

    /** Checkpoint selection: every candidate was scored on the validation set and the best one (first on ties) won. */
    private static void assertSelectedIsTheMostAccurateCandidate(JsonNode sel) {
        JsonNode candidates = sel.path("candidates");
        assertTrue(candidates.size() >= 1, sel.toString());
        String best = null;
        double bestAcc = Double.NEGATIVE_INFINITY;
        for (JsonNode c : candidates) {
            double acc = c.path("overall").asDouble(Double.NaN);
            assertTrue(acc >= 0 && acc <= 1, "validation accuracy of " + c);
            String spec = c.path("model").asText();
            assertTrue(spec.startsWith("embedded:") && Files.exists(Path.of(spec.substring("embedded:".length()))), c.toString());
            if (acc > bestAcc) {
                bestAcc = acc;
                best = spec;
            }
        }
        assertEquals(best, sel.path("selected").asText(), sel.toString());
    }

    /**
     * eval.template is unset, so every evaluation used annotate.template (the compact prompt): the
     * seed's verdicts parse. pair-v2 would not even fit the seed's context.
     */
    private static void sumsInRound0() throws Exception {
        JsonNode m0 = PipelineIo.readJson(runA.resolve("round-0/eval/bench/metrics.json"));
        System.err.printf("EndToEndEmbeddedTest: round 0 metrics %s%n", m0);
        assertEquals(4L * BENCH_PER_CATEGORY, m0.path("n").asLong());
        assertTrue(m0.path("parse_failure_rate").asDouble() < 1.0, m0.toString());
        String judgePrompt = tmp.resolve("world/prompts").resolve(MicroPrompts.JUDGE).toString();
        for (int i = 0; i <= ITERATIONS; i++) {
            assertEquals(judgePrompt, PipelineIo.readJson(runA.resolve("round-" + i + "/eval/bench/metrics.json")).path("template").asText());
        }
        var item = Benchmarks.load(tmp.resolve("world/bench.jsonl").toString(), null).items().getFirst();
        try (LanguageModel seed = ModelFactory.open(seedSpec, new ModelOptions(null, null, 1, Duration.ofSeconds(60), 0, 1))) {
            var pairV2 = JudgePrompts.pairV2().render(item, true);
            var e = assertThrows(dev.selftaught.llm.ModelException.class,
                    () -> seed.complete(ModelRequest.chat(pairV2, SamplingParams.greedy(8))));
            assertTrue(e.getMessage().contains("maximum context length is"), e.getMessage());
            var compact = JudgePrompts.named(tmp.resolve("world/prompts").resolve(MicroPrompts.JUDGE).toString()).render(item, true);
            assertEquals(1, seed.complete(ModelRequest.chat(compact, SamplingParams.greedy(8))).completions().size());
        }
    }

    /** Serves every {@code embedded:} spec it opens on its own OpenAI-compatible server and returns the HTTP client. */
    static final class ServingOpener implements RunLoop.ModelOpener {
        final ModelOptions options;
        final Set<String> served = Collections.synchronizedSet(new HashSet<>());

        ServingOpener(ModelOptions options) { this.options = options; }

        @Override
        public LanguageModel open(String spec) {
            if (spec.startsWith("http")) return ModelFactory.open(spec, options);
            LanguageModel local = ModelFactory.open(spec, options);
            // a distinct served name per checkpoint: the call store keys calls by the client's identity (openai:NAME)
            String name = "ckpt-" + local.identity().substring(local.identity().lastIndexOf(':') + 1);
            OpenAiServer server = OpenAiServer.start(local, ServerOptions.defaults(name));
            LanguageModel client = ModelFactory.open(server.baseUrl() + "#" + name, options);
            served.add(spec);
            return new Served(client, server, local);
        }
    }

    /** The HTTP client of a served model; closing it stops the server and closes the engine model. */
    record Served(LanguageModel client, OpenAiServer server, LanguageModel local) implements LanguageModel {
        @Override public String identity() { return client.identity(); }
        @Override public ModelResponse complete(ModelRequest r) { return client.complete(r); }
        @Override public void completeAll(List<ModelRequest> rs, int c, ResultSink sink) { client.completeAll(rs, c, sink); }
        @Override public ModelStats stats() { return client.stats(); }
        @Override public void close() {
            client.close();
            server.close();
            local.close();
        }
    }

    @Test
    @Order(2)
    void httpRunGivesTheSameArtifactsAsTheEmbeddedRun() throws Exception {
        ModelOptions options = new ModelOptions(null, null, 8, Duration.ofSeconds(120), 0, 2);
        Path runB = tmp.resolve("B");
        long t0 = System.nanoTime();
        ServingOpener opener = new ServingOpener(options);
        try (LanguageModel seed = ModelFactory.open(seedSpec, options);
             OpenAiServer server = OpenAiServer.start(seed, ServerOptions.defaults("seed"))) {
            String http = server.baseUrl() + "#seed";
            RunConfig cfg = RunConfig.load(config("B", http, http));
            RunCommand.loop(cfg, runB, opener, options, null, false).run();
        }
        System.err.printf("EndToEndEmbeddedTest: HTTP run in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        // every judge after round 1 and every evaluation went through a server too
        assertTrue(opener.served.contains(seedSpec), opener.served.toString());
        assertTrue(opener.served.contains("embedded:" + runB.resolve("round-1/model").toAbsolutePath()), opener.served.toString());
        assertTrue(PipelineIo.readJson(runB.resolve("round-1/stats.json")).path("judge").asText().startsWith("http://127.0.0.1:"));

        Map<String, String> a = artifacts(runA), b = artifacts(runB);
        assertEquals(a.keySet(), b.keySet(), "the same files");
        // Byte-identical: the data the method produces and the trained weights.
        List<String> identical = new ArrayList<>(List.of("select/instructions.jsonl", "select/stats.json",
                "pairs/pairs.jsonl", "pairs/stats.json"));
        for (int i = 1; i <= ITERATIONS; i++) {
            for (String f : List.of("annotations.jsonl", "sft.jsonl", "sft_fairseq2.jsonl")) identical.add("round-" + i + "/" + f);
            if (a.containsKey("round-" + i + "/model/model.safetensors")) identical.add("round-" + i + "/model/model.safetensors");
        }
        for (String f : identical) {
            assertTrue(a.containsKey(f), f);
            assertEquals(a.get(f), b.get(f), f + " differs between the embedded and the HTTP run");
        }
        // Identical up to the judge's name (embedded:PATH@sha256:... vs openai:NAME): stats, metrics, judgments, report numbers.
        int compared = 0;
        for (String f : a.keySet()) {
            boolean judged = f.endsWith("/stats.json") || f.endsWith("metrics.json") || f.endsWith("judgments.jsonl")
                    || f.endsWith("selection.json");
            if (!judged || identical.contains(f)) continue;
            assertEquals(withoutModelNames(a.get(f)), withoutModelNames(b.get(f)), f);
            compared++;
        }
        assertTrue(compared >= 3 * ITERATIONS + 1, "stats, selection and metrics of every round: " + compared);
        JsonNode ra = PipelineIo.readJson(runA.resolve("report.json")), rb = PipelineIo.readJson(runB.resolve("report.json"));
        for (int i = 0; i <= ITERATIONS; i++) {
            for (String k : List.of("round", "overall", "categories", "kept", "dropped")) {
                assertEquals(ra.path("rounds").get(i).path(k), rb.path("rounds").get(i).path(k), "report round " + i + " " + k);
            }
        }
    }

    /** Every file of a run (bytes as ISO-8859-1 text, the run directory's path replaced by RUN), without the call store and markers. */
    static Map<String, String> artifacts(Path runDir) throws Exception {
        Map<String, String> out = new java.util.TreeMap<>();
        try (var s = Files.walk(runDir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith("calls.sqlite") || name.equals("lock") || name.equals("done")) continue;
                String text = new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1);
                out.put(runDir.relativize(p).toString(), text.replace(runDir.toAbsolutePath().toString(), "RUN"));
            }
        }
        return out;
    }

    /** Replaces every model spec or identity in a JSON(L) text with MODEL. */
    static String withoutModelNames(String text) {
        return text.replaceAll("\"(embedded|openai|http)[^\"]*\"", "\"MODEL\"");
    }

}
