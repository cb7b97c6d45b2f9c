package dev.selftaught.engine.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.testutil.Stories260K;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: no logits and no request can break the generation service; issue 15: the logit rules
 * (penalties, min_tokens, token masks) do what vLLM/OpenAI define. On the real stories260K model.
 */
class RobustGenerationTest {
    static LoadedModel model;
    static Generator gen;
    static dev.selftaught.engine.kernel.ThreadTeam team;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(Stories260K.dir());
        team = new dev.selftaught.engine.kernel.ThreadTeam(1);
        gen = new Generator(model.weights(), model.tokenizer(), new Generator.Options(2, 4, 32));
    }

    @AfterAll
    static void close() {
        gen.close();
        team.close();
    }

    static int[] eos() { return new int[] {model.tokenizer().eos()}; }

    static GenerationRequest req(SamplingConfig cfg, int max, LogitRules rules) {
        return new GenerationRequest(new int[] {1}, cfg, max, 5, eos(), List.of(), null, rules);
    }

    @Test
    void aTinyTemperatureWithTopKSamplesTheTopTokenInsteadOfOverflowing() {
        Sampler s = new Sampler(6);
        float[] logits = {0.5f, 3f, -1f, 2.9f, 0f, 1f};
        SamplingConfig tiny = new SamplingConfig(1e-40f, 5, 1f, 0f);
        for (int i = 0; i < 50; i++) assertEquals(1, s.sample(logits, 0, tiny, new SplittableRandom(i)));
        // Huge finite logits do not overflow either.
        float[] huge = {Float.MAX_VALUE, -Float.MAX_VALUE, 0f};
        assertEquals(0, new Sampler(3).sample(huge, 0, new SamplingConfig(0.01f, 0, 0.9f, 0.1f), new SplittableRandom(1)));
    }

    @Test
    void nonFiniteLogitsOrAnAllMaskedRowAreAClearSamplingError() {
        Sampler s = new Sampler(3);
        var e = assertThrows(SamplingException.class, () -> s.sample(new float[] {0f, Float.NaN, 1f}, 0, SamplingConfig.GREEDY, null));
        assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
        assertThrows(SamplingException.class, () -> s.sample(new float[] {0f, Float.POSITIVE_INFINITY, 1f}, 0,
                SamplingConfig.temperature(1f), new SplittableRandom(1)));
        float ninf = Float.NEGATIVE_INFINITY;
        assertThrows(SamplingException.class, () -> s.sample(new float[] {ninf, ninf, ninf}, 0, SamplingConfig.GREEDY, null));
        // -inf is a mask, not an error: the only finite token is chosen.
        assertEquals(2, s.sample(new float[] {ninf, ninf, -5f}, 0, SamplingConfig.temperature(1f), new SplittableRandom(1)));
    }

    @Test
    void aFailingRequestFailsAloneAndTheGeneratorKeepsServing() throws Exception {
        TokenMask nothing = (g, n, logits, off, v) -> Arrays.fill(logits, off, off + v, Float.NEGATIVE_INFINITY);
        CompletableFuture<GenerationResult> bad = gen.submit(req(SamplingConfig.GREEDY, 10, new LogitRules(1f, 0f, 0f, 0, nothing)));
        CompletableFuture<GenerationResult> good = gen.submit(GenerationRequest.greedy(new int[] {1}, 40, eos()));
        var e = assertThrows(ExecutionException.class, () -> bad.get(30, TimeUnit.SECONDS));
        assertInstanceOf(SamplingException.class, e.getCause());
        assertArrayEquals(Stories260K.verifiedGreedyIds(), good.get(30, TimeUnit.SECONDS).tokens());
        assertTrue(gen.healthy());
        // And after it, too.
        assertArrayEquals(Stories260K.verifiedGreedyIds(), gen.generate(GenerationRequest.greedy(new int[] {1}, 40, eos())).tokens());
    }

    @Test
    void aCancelledSequenceLeavesTheBatchAndOthersFinish() throws Exception {
        BatchDecoder d = new BatchDecoder(new dev.selftaught.engine.infer.Transformer(model.weights(), 16, team), model.tokenizer(), 2);
        Sequence doomed = d.add(GenerationRequest.greedy(new int[] {1}, 200, new int[0]));
        Sequence waiting = d.add(GenerationRequest.greedy(new int[] {1}, 200, new int[0]));
        Sequence third = d.add(GenerationRequest.greedy(new int[] {1}, 40, eos()));
        d.step();
        d.step();
        doomed.cancel();
        waiting.cancel(); // running too (2 places), cancelled mid-way
        d.step();
        assertInstanceOf(CancellationException.class, doomed.error());
        assertInstanceOf(CancellationException.class, waiting.error());
        assertTrue(doomed.nGenerated < 200);
        d.runToCompletion();
        assertArrayEquals(Stories260K.verifiedGreedyIds(), third.result().tokens());
        assertTrue(d.idle());

        // Through the service: cancelling the future frees the place.
        CompletableFuture<GenerationResult> f = gen.submit(GenerationRequest.greedy(new int[] {1}, 5000 > model.config().maxSeqLen() ? model.config().maxSeqLen() - 2 : 5000, new int[0]));
        f.cancel(true);
        assertArrayEquals(Stories260K.verifiedGreedyIds(), gen.generate(GenerationRequest.greedy(new int[] {1}, 40, eos())).tokens());
    }

    @Test
    void minTokensMasksTheStopIdsUntilReached() throws Exception {
        // Greedy from BOS with the verified story's own last token as a stop id ends early...
        int[] ids = Stories260K.verifiedGreedyIds();
        int stop = ids[3];
        int[] stops = {stop};
        var plain = gen.generate(new GenerationRequest(new int[] {1}, SamplingConfig.GREEDY, 40, 0, stops, List.of(), null));
        assertEquals(3, plain.tokens().length);
        // ...and with min_tokens 10 it cannot stop before the tenth token.
        var min = gen.generate(new GenerationRequest(new int[] {1}, SamplingConfig.GREEDY, 40, 0, stops, List.of(), null,
                new LogitRules(1f, 0f, 0f, 10, null)));
        assertTrue(min.tokens().length >= 10, "got " + min.tokens().length);
        for (int i = 0; i < 10; i++) assertNotEquals(stop, min.tokens()[i]);
    }

    @Test
    void repetitionPenaltyChangesAGreedyStoryThatRepeatsTokens() {
        int[] plain = gen.generate(GenerationRequest.greedy(new int[] {1}, 40, new int[0])).tokens();
        int[] penal = gen.generate(new GenerationRequest(new int[] {1}, SamplingConfig.GREEDY, 40, 0, new int[0], List.of(), null,
                new LogitRules(5f, 0f, 0f, 0, null))).tokens();
        assertFalse(Arrays.equals(plain, penal));
        // A strong penalty makes repeats rarer than in the plain story.
        assertTrue(distinct(penal) > distinct(plain), distinct(penal) + " vs " + distinct(plain));
        // A penalty of 1 is off: identical tokens.
        int[] one = gen.generate(new GenerationRequest(new int[] {1}, SamplingConfig.GREEDY, 40, 0, new int[0], List.of(), null,
                new LogitRules(1f, 0f, 0f, 0, null))).tokens();
        assertArrayEquals(plain, one);
    }

    @Test
    void aTokenMaskRestrictsWhatIsGenerated() {
        int allowedA = 300, allowedB = 301;
        TokenMask two = (g, n, logits, off, v) -> {
            for (int t = 0; t < v; t++) if (t != allowedA && t != allowedB) logits[off + t] = Float.NEGATIVE_INFINITY;
        };
        var r = gen.generate(new GenerationRequest(new int[] {1}, SamplingConfig.temperature(1f), 20, 3, eos(), List.of(), null,
                new LogitRules(1f, 0f, 0f, 0, two)));
        assertEquals(20, r.tokens().length);
        for (int t : r.tokens()) assertTrue(t == allowedA || t == allowedB, "token " + t);
    }

    @Test
    void rulesRefuseRangesThatCouldOverflow() {
        assertThrows(IllegalArgumentException.class, () -> new LogitRules(1e-30f, 0f, 0f, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new LogitRules(1f, 3f, 0f, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new LogitRules(1f, 0f, Float.NaN, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(Float.POSITIVE_INFINITY, 0, 1f, 0f));
    }

    @Test
    void samplesOfOnePromptShareItsPrefillAndGiveTheSameTokensAsAlone() throws Exception {
        int[] prompt = model.tokenizer().encode("Once upon a time there was a little girl who liked to play in the park", true);
        assertTrue(prompt.length > 10);
        List<GenerationRequest> reqs = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            reqs.add(new GenerationRequest(prompt, SamplingConfig.temperature(1f), 30, 100 + i, eos(), List.of(), null));
        }
        List<int[]> alone = new java.util.ArrayList<>();
        for (GenerationRequest r : reqs) alone.add(gen.generate(r).tokens());
        long before = gen.positionsShared();
        List<CompletableFuture<GenerationResult>> shared = gen.submitSamePrompt(reqs);
        for (int i = 0; i < 4; i++) assertArrayEquals(alone.get(i), shared.get(i).get(30, TimeUnit.SECONDS).tokens(), "sample " + i);
        assertEquals(3L * (prompt.length - 1), gen.positionsShared() - before, "three followers copied all but the last prompt token");
    }

    static int distinct(int[] a) { return (int) Arrays.stream(a).distinct().count(); }
}
