package dev.selftaught.engine.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.testutil.SharedData;
import dev.selftaught.engine.testutil.Stories260K;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Log-probabilities checked against the model's logits computed directly (one full forward pass
 * over prompt + output, every row's logits, log-softmax in double), and guided decoding on the
 * real stories260K model.
 */
@ExtendWith(SharedData.class)
class LogprobsGuidedTest {
    static LoadedModel model;
    static ThreadTeam team;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(Stories260K.dir());
        team = new ThreadTeam(2);
    }

    @AfterAll
    static void close() { team.close(); }

    static int[] eos() { return new int[] {model.tokenizer().eos()}; }

    /** log_softmax of every position's logits for the whole token sequence, computed in one pass. */
    static double[][] directLogprobs(int[] seq) {
        Transformer t = new Transformer(model.weights(), seq.length, seq.length, team);
        int slot = t.cache().allocate(seq.length);
        int n = seq.length, vocab = model.config().vocabSize();
        int[] slots = new int[n], pos = new int[n], rows = new int[n];
        Arrays.fill(slots, slot);
        for (int i = 0; i < n; i++) pos[i] = rows[i] = i;
        t.forward(n, slots, seq, pos, rows, n);
        double[][] out = new double[n][vocab];
        float[] l = t.logits();
        for (int r = 0; r < n; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int v = 0; v < vocab; v++) max = Math.max(max, l[r * vocab + v]);
            for (int v = 0; v < vocab; v++) sum += Math.exp(l[r * vocab + v] - max);
            for (int v = 0; v < vocab; v++) out[r][v] = l[r * vocab + v] - max - Math.log(sum);
        }
        return out;
    }

    private static void assertMatches(double[] direct, TokenLogprob lp, int k) {
        assertEquals(direct[lp.token()], lp.logprob(), 1e-3, "logprob of token " + lp.token());
        assertEquals(k, lp.topTokens().length);
        Integer[] order = new Integer[direct.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(direct[b], direct[a]));
        for (int i = 0; i < k; i++) {
            assertEquals(direct[lp.topTokens()[i]], lp.topLogprobs()[i], 1e-3);
            assertEquals(direct[order[i]], lp.topLogprobs()[i], 1e-3, "top " + i + " is the i-th largest");
        }
    }

    @Test
    void sampledTokensLogprobsAreTheRawModelDistributionWhateverTheTemperature() {
        int[] prompt = model.tokenizer().encode("Once upon a time", true);
        BatchDecoder d = new BatchDecoder(new Transformer(model.weights(), 16, 4, team), model.tokenizer(), 4);
        // Sampled at temperature 0.7 with top_p 0.9: the reported numbers are still log_softmax(logits).
        var cfg = new SamplingConfig(0.7f, 0, 0.9f, 0f);
        Sequence s = d.add(new GenerationRequest(prompt, cfg, 12, 7L, eos(), List.of(), null, LogitRules.NONE, 5, true));
        Sequence g = d.add(new GenerationRequest(prompt, SamplingConfig.GREEDY, 12, 0L, eos(), List.of(), null));
        d.runToCompletion();
        GenerationResult r = s.result();
        assertNotNull(r.logprobs());
        assertEquals(r.tokens().length, r.logprobs().size());
        assertNull(g.result().logprobs(), "not asked for, not computed");
        int[] all = new int[prompt.length + r.tokens().length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(r.tokens(), 0, all, prompt.length, r.tokens().length);
        double[][] direct = directLogprobs(all);
        for (int j = 0; j < r.tokens().length; j++) {
            assertEquals(r.tokens()[j], r.logprobs().get(j).token());
            assertMatches(direct[prompt.length - 1 + j], r.logprobs().get(j), 5);
        }
        // Echo: one entry per prompt token, the first has nothing predicting it.
        List<TokenLogprob> p = r.promptLogprobs();
        assertEquals(prompt.length, p.size());
        assertTrue(Float.isNaN(p.getFirst().logprob()));
        for (int i = 1; i < prompt.length; i++) {
            assertEquals(prompt[i], p.get(i).token());
            assertMatches(direct[i - 1], p.get(i), 5);
        }
    }

    @Test
    void echoOfALongPromptIsPrefilledInChunksOfTheLogitBudget() {
        String text = "Lily and Tom went to the park. They played on the swings and saw a big red ball.";
        int[] prompt = model.tokenizer().encode(text, true);
        assertTrue(prompt.length > 8);
        // Only 3 logit rows per pass: the echo prompt needs several passes, a second sequence decodes meanwhile.
        BatchDecoder d = new BatchDecoder(new Transformer(model.weights(), 16, 3, team), model.tokenizer(), 2);
        Sequence other = d.add(GenerationRequest.greedy(model.tokenizer().encode("The cat", true), 10, eos()));
        Sequence s = d.add(new GenerationRequest(prompt, SamplingConfig.GREEDY, 3, 0L, eos(), List.of(), null, LogitRules.NONE, 0, true));
        d.runToCompletion();
        assertNotNull(other.result());
        double[][] direct = directLogprobs(prompt);
        List<TokenLogprob> p = s.result().promptLogprobs();
        assertEquals(prompt.length, p.size());
        for (int i = 1; i < prompt.length; i++) assertEquals(direct[i - 1][prompt[i]], p.get(i).logprob(), 1e-3);
    }

    @Test
    void streamedLogprobsCoverEveryTokenOnce() {
        int[] prompt = model.tokenizer().encode("One day", true);
        List<TokenLogprob> streamed = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        GenerationRequest.Listener l = new GenerationRequest.Listener() {
            @Override public void onText(String delta) { text.append(delta); }
            @Override public void onText(String delta, List<TokenLogprob> lps) { text.append(delta); streamed.addAll(lps); }
        };
        BatchDecoder d = new BatchDecoder(new Transformer(model.weights(), 16, 4, team), model.tokenizer(), 2);
        Sequence s = d.add(new GenerationRequest(prompt, SamplingConfig.GREEDY, 15, 0L, eos(), List.of("park"), l, LogitRules.NONE, 2, false));
        d.runToCompletion();
        assertEquals(s.result().text(), text.toString());
        assertEquals(s.result().logprobs(), streamed);
    }

    private static GenerationResult guided(String prompt, ByteDfa dfa, int maxTokens, float temperature, long seed) {
        int[] ids = model.tokenizer().encode(prompt, true);
        var mask = new GuidedMask(dfa, model.tokenizer(), eos(), ids[ids.length - 1]);
        BatchDecoder d = new BatchDecoder(new Transformer(model.weights(), 16, 4, team), model.tokenizer(), 2);
        Sequence s = d.add(new GenerationRequest(ids, new SamplingConfig(temperature, 0, 1f, 0f), maxTokens, seed, eos(), List.of(), null,
                new LogitRules(1f, 0f, 0f, 0, mask), -1, false));
        d.runToCompletion();
        if (s.error() != null) throw s.error();
        return s.result();
    }

    @Test
    void guidedChoiceGivesExactlyOneOfTheChoices() {
        List<String> choices = List.of("[[A]]", "[[B]]", "a tie");
        ByteDfa dfa = ByteDfa.ofChoices(choices);
        for (long seed = 0; seed < 6; seed++) {
            GenerationResult r = guided("Once upon a time", dfa, 20, 1.0f, seed);
            assertTrue(choices.contains(r.text()), r.text());
            assertEquals(GenerationResult.Finish.STOP, r.finish(), "ends with EOS once the choice is complete");
        }
    }

    @Test
    void guidedRegexOutputMatches() {
        ByteDfa verdict = ByteDfa.ofRegex("\\[\\[(A|B)\\]\\]");
        ByteDfa digits = ByteDfa.ofRegex("[0-9]{2,4} (cats|dogs)");
        for (long seed = 0; seed < 4; seed++) {
            GenerationResult r = guided("The cat", verdict, 20, 1.0f, seed);
            assertTrue(r.text().equals("[[A]]") || r.text().equals("[[B]]"), r.text());
            GenerationResult d = guided("Lily had", digits, 20, 1.0f, seed);
            assertTrue(d.text().matches("[0-9]{2,4} (cats|dogs)"), d.text());
        }
        // Greedy too, and on an unconstrained-looking pattern with a free tail.
        GenerationResult free = guided("Once upon a time", ByteDfa.ofRegex("Yes, [a-z ]{1,12}\\."), 30, 0f, 0);
        assertTrue(free.text().matches("Yes, [a-z ]{1,12}\\."), free.text());
    }

    @Test
    void regexSubsetAgreesWithJavaRegex() {
        String[][] cases = {
                {"\\[\\[[AB]\\]\\]", "[[A]]", "[[B]]", "[[C]]", "[[A]"},
                {"(?:yes|no)!?", "yes", "no!", "yes!!", "maybe"},
                {"a.c", "abc", "a\u00e9c", "a\nc", "ac"},
                {"\\d+\\.\\d{1,2}", "3.14", "10.5", "3.", ".5"},
                {"^[^\\]]+$", "plain \u00fc text", "x", "a]b", ""},
                {"\\w+\\s\\W", "ab_1 !", "x\t#", "ab c", "ab !!"},
                {"(ab|a)(bc|c)?", "abc", "a", "abbc", "b"},
        };
        for (String[] c : cases) {
            ByteDfa dfa = ByteDfa.ofRegex(c[0]);
            for (int i = 1; i < c.length; i++) {
                assertEquals(c[i].matches(c[0]), dfa.matches(c[i]), c[0] + " on '" + c[i] + "'");
            }
            assertTrue(dfa.matches(c[1]) && !dfa.matches(c[c.length - 1]), c[0]);
        }
    }

    @Test
    void unsupportedAndHostilePatternsAreRefusedWithinBounds() {
        for (String bad : List.of("(a)\\1", "(?=a)b", "a*?", "\\bword", "(?<n>a)", "a{2,1}", "a{100}", "[[:alpha:]]", "x^y", "(ab", "ab)", "\\p{L}")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteDfa.ofRegex(bad), bad);
            assertTrue(e.getMessage().startsWith("guided_regex"), e.getMessage());
        }
        long t0 = System.nanoTime();
        // Exponential subset construction: (a|b)*a(a|b){20} needs 2^21 states -> refused at the cap.
        var e = assertThrows(IllegalArgumentException.class, () -> ByteDfa.ofRegex("(a|b)*a(a|b){20}"));
        assertTrue(e.getMessage().contains("too complex"), e.getMessage());
        // Nested counted repeats multiply NFA states: refused before building 64^3 copies.
        assertThrows(IllegalArgumentException.class, () -> ByteDfa.ofRegex("((a{64}){64}){64}"));
        assertThrows(IllegalArgumentException.class, () -> ByteDfa.ofRegex("x".repeat(ByteDfa.MAX_REGEX_CHARS + 1)));
        // A classic catastrophic-backtracking pattern is harmless for a DFA.
        assertTrue(ByteDfa.ofRegex("(a+)+b").matches("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 5000; i++) many.add("choice number " + i);
        assertThrows(IllegalArgumentException.class, () -> ByteDfa.ofChoices(many));
        assertTrue((System.nanoTime() - t0) / 1e9 < 60, "bounded work"); // generous: loaded machine
        assertFalse(ByteDfa.ofChoices(List.of("A", "B")).matches("AB"));
    }
}
