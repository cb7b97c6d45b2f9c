package dev.selftaught.engine.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.testutil.Stories260K;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generation on the real stories260K model: oracle, batching invariance, stops, limits. */
class BatchDecoderTest {
    static LoadedModel model;
    static ThreadTeam team;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(Stories260K.dir());
        team = new ThreadTeam(2);
    }

    @AfterAll
    static void close() { team.close(); }

    static BatchDecoder decoder(int maxSeq, int maxRows) {
        return new BatchDecoder(new Transformer(model.weights(), maxRows, team), model.tokenizer(), maxSeq);
    }

    static int[] eos() { return new int[] {model.tokenizer().eos()}; }

    @Test
    void greedyFromEmptyPromptMatchesOracle() throws Exception {
        BatchDecoder d = decoder(4, 16);
        int[] prompt = model.tokenizer().encode("", true);
        assertArrayEquals(new int[] {1}, prompt, "an empty prompt is BOS alone");
        Sequence s = d.add(GenerationRequest.greedy(prompt, 40, eos()));
        d.runToCompletion();
        assertArrayEquals(Stories260K.verifiedGreedyIds(), s.result().tokens());
        assertEquals(Stories260K.verifiedGreedyText(), s.result().text());
        assertEquals(GenerationResult.Finish.LENGTH, s.result().finish());
        assertEquals(1, s.result().promptTokens());
    }

    /** Eight different requests: prompts, seeds, sampling settings; they join at different steps. */
    static List<GenerationRequest> mixedRequests() {
        var tok = model.tokenizer();
        String[] prompts = {"", "Once upon a time", "The cat", "Lily and Tom went to the park.", "One day",
                "A big dog", "", "She was happy"};
        List<GenerationRequest> out = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            SamplingConfig cfg = switch (i % 4) {
                case 0 -> SamplingConfig.GREEDY;
                case 1 -> new SamplingConfig(1.0f, 0, 1f, 0f);
                case 2 -> new SamplingConfig(0.8f, 40, 0.9f, 0f);
                default -> new SamplingConfig(1.2f, 0, 1f, 0.05f);
            };
            out.add(new GenerationRequest(tok.encode(prompts[i], true), cfg, 20 + 7 * i, 1000L + i, eos(), List.of(), null));
        }
        return out;
    }

    private static List<int[]> alone;

    /** Tokens of each of {@link #mixedRequests()} decoded on its own (computed once). */
    static synchronized List<int[]> aloneResults() {
        if (alone == null) {
            alone = new ArrayList<>();
            for (GenerationRequest r : mixedRequests()) {
                BatchDecoder d = decoder(1, 8);
                Sequence s = d.add(r);
                d.runToCompletion();
                alone.add(s.result().tokens());
            }
        }
        return alone;
    }

    @Test
    void batchedDecodingGivesTheSameTokensAsEachAlone() throws Exception {
        List<GenerationRequest> reqs = mixedRequests();
        List<int[]> alone = aloneResults();
        // Small row budget forces chunked prefill; sequences join every other step.
        BatchDecoder d = decoder(8, 12);
        List<Sequence> seqs = new ArrayList<>();
        for (GenerationRequest r : reqs) {
            seqs.add(d.add(r));
            d.step();
            d.step();
        }
        d.runToCompletion();
        for (int i = 0; i < reqs.size(); i++) {
            assertArrayEquals(alone.get(i), seqs.get(i).result().tokens(), "sequence " + i + " differs when batched");
        }
        // The sampled ones really sampled: seeds matter.
        GenerationRequest r = reqs.get(1);
        BatchDecoder d2 = decoder(1, 8);
        Sequence other = d2.add(new GenerationRequest(r.prompt(), r.sampling(), r.maxTokens(), 999_999L, r.stopIds(), List.of(), null));
        d2.runToCompletion();
        assertFalse(java.util.Arrays.equals(alone.get(1), other.result().tokens()), "a different seed should give a different sample");
    }

    @Test
    void moreSequencesThanPlacesWaitAndJoinLater() throws Exception {
        List<GenerationRequest> reqs = mixedRequests();
        List<int[]> alone = aloneResults();
        BatchDecoder narrow = decoder(3, 16);   // only 3 at a time: the others join as places free up
        List<Sequence> few = reqs.stream().map(narrow::add).toList();
        narrow.runToCompletion();
        for (int i = 0; i < reqs.size(); i++) assertArrayEquals(alone.get(i), few.get(i).result().tokens());
    }

    @Test
    void stopStringCutsTextAndStreamsNothingOfIt() throws Exception {
        String full = Stories260K.verifiedGreedyText();
        String stop = "little girl";
        int at = full.indexOf(stop);
        assertTrue(at > 0);
        StringBuilder streamed = new StringBuilder();
        BatchDecoder d = decoder(2, 8);
        Sequence s = d.add(new GenerationRequest(new int[] {1}, SamplingConfig.GREEDY, 40, 0, eos(),
                List.of("no such stop", stop), streamed::append));
        d.runToCompletion();
        assertEquals(full.substring(0, at), s.result().text());
        assertEquals(GenerationResult.Finish.STOP, s.result().finish());
        assertEquals(s.result().text(), streamed.toString());
        assertTrue(s.result().tokens().length < 40);
    }

    @Test
    void streamingWithoutStopsDeliversTheWholeText() throws Exception {
        StringBuilder streamed = new StringBuilder();
        List<String> deltas = new ArrayList<>();
        BatchDecoder d = decoder(2, 8);
        Sequence s = d.add(new GenerationRequest(new int[] {1}, SamplingConfig.GREEDY, 40, 0, eos(), List.of(),
                t -> { streamed.append(t); deltas.add(t); }));
        d.runToCompletion();
        assertEquals(Stories260K.verifiedGreedyText(), streamed.toString());
        assertTrue(deltas.size() > 20, "text arrives token by token");
    }

    @Test
    void aThrowingListenerEndsOnlyItsSequence() throws Exception {
        BatchDecoder d = decoder(4, 16);
        Sequence bad = d.add(new GenerationRequest(new int[] {1}, SamplingConfig.GREEDY, 40, 0, eos(), List.of(),
                t -> { throw new IllegalStateException("gone"); }));
        Sequence good = d.add(GenerationRequest.greedy(new int[] {1}, 40, eos()));
        d.runToCompletion();
        assertEquals("gone", bad.error().getMessage());
        assertArrayEquals(Stories260K.verifiedGreedyIds(), good.result().tokens());
        assertTrue(d.idle());
    }

    @Test
    void maxTokensAndContextLimits() throws Exception {
        BatchDecoder d = decoder(2, 8);
        Sequence s = d.add(GenerationRequest.greedy(new int[] {1}, 5, eos()));
        int[] tooLong = new int[model.config().maxSeqLen()];
        java.util.Arrays.fill(tooLong, 1);
        Sequence bad = d.add(GenerationRequest.greedy(tooLong, 5, eos()));
        d.runToCompletion();
        assertArrayEquals(java.util.Arrays.copyOf(Stories260K.verifiedGreedyIds(), 5), s.result().tokens());
        assertEquals(GenerationResult.Finish.LENGTH, s.result().finish());
        assertNotNull(bad.error());
        assertTrue(bad.error().getMessage().contains("does not fit"), bad.error().getMessage());

    }

    @Test
    void fullContextEndsTheSequence() throws Exception {
        // A tiny random model with a 16-token context: a prompt filling all but 3 positions ends
        // for lack of context, not of max tokens: three tokens are fed at the last free
        // positions and a fourth is sampled from the last one.
        var cfg = dev.selftaught.engine.model.LlamaConfig.small(32, 64, 2, 4, 2, 40, 16);
        var w = new dev.selftaught.engine.model.LlamaWeights(cfg).initRandom(7);
        BatchDecoder d = new BatchDecoder(new Transformer(w, 16, team), null, 2);
        Sequence edge = d.add(GenerationRequest.greedy(new int[] {1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 100, new int[0]));
        Sequence shortOne = d.add(GenerationRequest.greedy(new int[] {1}, 100, new int[0]));
        d.runToCompletion();
        assertEquals(GenerationResult.Finish.LENGTH, edge.result().finish());
        assertEquals(4, edge.result().tokens().length);
        assertEquals(16, shortOne.result().tokens().length, "BOS at position 0, then 15 fed tokens and one more sampled");
    }

    @Test
    void generatorServiceBatchesConcurrentSubmissions() throws Exception {
        List<GenerationRequest> reqs = mixedRequests();
        List<int[]> alone = aloneResults();
        try (Generator g = new Generator(model.weights(), model.tokenizer(), new Generator.Options(2, 4, 32))) {
            List<CompletableFuture<GenerationResult>> fs = reqs.stream().map(g::submit).toList();
            for (int i = 0; i < reqs.size(); i++) assertArrayEquals(alone.get(i), fs.get(i).get().tokens());
        }
    }
}
