package dev.selftaught.eval;

import dev.selftaught.data.InputError;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static dev.selftaught.eval.Verdict.A;
import static dev.selftaught.eval.Verdict.B;
import static dev.selftaught.eval.Verdict.NONE;
import static dev.selftaught.eval.Verdict.TIE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The small rules every evaluation depends on, each pinned exactly: the per-item order and
 * sample seeds (they key the call store, so a change would silently re-judge and change
 * published numbers), the score of each verdict, RewardBench's weights and formulas, the
 * option bounds, and how a batch of judge calls fails.
 */
class EvalRulesTest {

    @Test
    void randomOrderIsAFixedFunctionOfSeedAndId() {
        // Golden: the order of items id-0 .. id-63 for seeds 1 and 7 (A = chosen shown as A).
        assertEquals("AAABAAABBBBAAABBABAAABABBBABABAAAAABBBABBAABABABABAABBBABBABBABB", orders(1));
        assertEquals("BABABAAABBBBABAAAABBBABABAABBBABAABABABBAAAAABBABBBBBABAAAABAAAA", orders(7));
        assertFalse(Order.randomChosenAsA(1, ""));
        assertTrue(Order.randomChosenAsA(42, ""));
    }

    private static String orders(long seed) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 64; i++) sb.append(Order.randomChosenAsA(seed, "id-" + i) ? 'A' : 'B');
        return sb.toString();
    }

    @Test
    void sampleSeedsAreFixedPerSeedIdAndOrderAndFitInFortySevenBits() {
        assertEquals(54746373248878L, Evaluator.sampleSeed(1, "item-1", true));
        assertEquals(120364591852346L, Evaluator.sampleSeed(1, "item-1", false));
        assertEquals(66048542653968L, Evaluator.sampleSeed(42, "item-1", true));
        assertEquals(134051088370621L, Evaluator.sampleSeed(42, "item-1", false));
        assertEquals(131480091875595L, Evaluator.sampleSeed(1, "x", true));
        assertEquals(7659097220803L, Evaluator.sampleSeed(42, "x", false));
        for (int i = 0; i < 200; i++) {
            long s = Evaluator.sampleSeed(-i, "id-" + i, i % 2 == 0);
            assertTrue(s >= 0 && s < (1L << 47), "seed " + s);
        }
    }

    @Test
    void ordersShownPerOrderSetting() {
        PairwiseItem item = PairwiseItem.single("id-3", "q", "good", "bad", "s");
        EvalOptions o = EvalOptions.defaults();
        assertEquals(List.of(true, false), Evaluator.orders(item, o.withOrder(Order.BOTH)));
        assertEquals(List.of(true), Evaluator.orders(item, o.withOrder(Order.FIXED_A)));
        assertEquals(List.of(false), Evaluator.orders(item, o.withOrder(Order.FIXED_B)));
        assertEquals(List.of(Order.randomChosenAsA(o.seed(), "id-3")), Evaluator.orders(item, o.withOrder(Order.RANDOM)));
    }

    @Test
    void greedyOrSampledRequests() {
        PairwiseItem item = PairwiseItem.single("id-3", "q", "GOODANSWER", "BADANSWER", "s");
        ModelRequest greedy = Evaluator.request(item, true, EvalOptions.defaults().withMaxTokens(77));
        assertEquals(SamplingParams.greedy(77), greedy.params());
        EvalOptions k = EvalOptions.defaults().withSamples(5).withSampling(0.6, 0.8).withMaxTokens(99).withSeed(9);
        ModelRequest sampled = Evaluator.request(item, false, k);
        assertEquals(SamplingParams.sample(0.6, 0.8, 99, 5, Evaluator.sampleSeed(9, "id-3", false)), sampled.params());
        // The chosen answer is where the order says.
        String user = sampled.messages().getLast().content();
        assertTrue(user.indexOf("BADANSWER") < user.indexOf("GOODANSWER"), user);
    }

    @Test
    void orderNames() {
        assertEquals(Order.RANDOM, Order.named("random"));
        assertEquals(Order.BOTH, Order.named(" BOTH "));
        assertEquals(Order.FIXED_A, Order.named("fixed"));
        assertEquals(Order.FIXED_A, Order.named("Fixed-A"));
        assertEquals(Order.FIXED_B, Order.named("fixed-b"));
        assertEquals("fixed-b", Order.FIXED_B.cliName());
        InputError e = assertThrows(InputError.class, () -> Order.named("sideways"));
        assertTrue(e.getMessage().contains("'sideways'"), e.getMessage());
    }

    @Test
    void verdictNamesSwapsAndDecisiveness() {
        assertEquals(List.of("A", "B", "tie", "none"), List.of(A.jsonName(), B.jsonName(), TIE.jsonName(), NONE.jsonName()));
        for (Verdict v : Verdict.values()) {
            assertEquals(v, Verdict.fromJson(v.jsonName()));
            assertEquals(v, Verdict.fromJson(v.jsonName().toUpperCase(java.util.Locale.ROOT)));
        }
        assertThrows(IllegalArgumentException.class, () -> Verdict.fromJson("C"));
        assertEquals(List.of(B, A, TIE, NONE), List.of(A.swapped(), B.swapped(), TIE.swapped(), NONE.swapped()));
        assertEquals(List.of(true, true, false, false), List.of(A.decisive(), B.decisive(), TIE.decisive(), NONE.decisive()));
    }

    @Test
    void itemScoreOfEachVerdictInEachOrder() {
        assertEquals(1.0, RewardBench.itemScore(A, true));
        assertEquals(0.0, RewardBench.itemScore(A, false));
        assertEquals(0.0, RewardBench.itemScore(B, true));
        assertEquals(1.0, RewardBench.itemScore(B, false));
        for (boolean chosenAsA : new boolean[] {true, false}) {
            assertEquals(0.5, RewardBench.itemScore(TIE, chosenAsA));
            assertEquals(0.5, RewardBench.itemScore(NONE, chosenAsA));
        }
        Judgment j = Judgment.of(false, List.of("[[B]]", "[[A]]", "[[B]]"), ParseRule.REWARDBENCH);
        assertEquals(B, j.verdict());
        assertEquals(1.0, j.score());
        assertTrue(j.correct());
        assertFalse(Judgment.of(true, List.of("none"), ParseRule.REWARDBENCH).correct(), "0.5 is not correct");
    }

    @Test
    void rewardBenchFormulas() {
        assertTrue(Double.isNaN(RewardBench.accuracy(List.of())));
        assertEquals(0.5, RewardBench.accuracy(List.of(1.0, 0.0, 0.5, 0.5)), 1e-15);
        // Chat Hard: mt-bench-hard (37) at 1.0, llmbar-natural (100) at 0.0 -> 37/137.
        // Reasoning: math-prm (984) at 0.5, hep-go (164) at 1.0 -> (492 + 164) / 1148.
        var cats = RewardBench.categoryScores(Map.of("mt-bench-hard", 1.0, "llmbar-natural", 0.0, "math-prm", 0.5,
                "hep-go", 1.0, "not-a-subset", 0.0, "alpacaeval-easy", Double.NaN));
        assertEquals(List.of(RewardBench.CHAT_HARD, RewardBench.REASONING), new ArrayList<>(cats.keySet()));
        assertEquals(37.0 / 137, cats.get(RewardBench.CHAT_HARD), 1e-15);
        assertEquals(656.0 / 1148, cats.get(RewardBench.REASONING), 1e-15);
        assertEquals((37.0 / 137 + 656.0 / 1148) / 2, RewardBench.overall(cats), 1e-15);
        assertTrue(Double.isNaN(RewardBench.overall(Map.of())));
        // Leaderboard: (2 * (0.9 + 0.6) + 0.3) / 5.
        assertEquals((2 * (0.9 + 0.6) + 0.3) / 5, RewardBench.leaderboard(Map.of("Chat", 0.9, "Safety", 0.6), 0.3), 1e-15);
        assertTrue(Double.isNaN(RewardBench.leaderboard(Map.of(), 0.3)));
        // The published subset sizes; math-prm counted as 6 x 164 so math and code weigh half of Reasoning each.
        assertEquals(23, RewardBench.WEIGHTS.size());
        assertEquals(984, RewardBench.WEIGHTS.get("math-prm"));
        assertEquals(6 * 164, RewardBench.CATEGORIES.get(RewardBench.REASONING).stream()
                .filter(s -> s.startsWith("hep-")).mapToInt(RewardBench.WEIGHTS::get).sum());
        assertEquals(2985, RewardBench.WEIGHTS.values().stream().mapToInt(Integer::intValue).sum() - 984 + 447,
                "subset sizes of RewardBench v1 (2985 items with math-prm's 447)");
        assertEquals(java.util.Optional.of(RewardBench.SAFETY), RewardBench.categoryOf("donotanswer"));
        assertEquals(java.util.Optional.empty(), RewardBench.categoryOf("mine"));
    }

    @Test
    void majorityVoteEdgeCases() {
        assertEquals(TIE, MajorityVote.of(List.of(TIE, A, TIE, B)).verdict(), "a tie vote can win outright");
        assertEquals(NONE, MajorityVote.of(List.of(B, TIE)).verdict(), "one B against one tie: undecided");
        assertEquals(NONE, MajorityVote.of(List.of(A, A, B, B, TIE, TIE)).verdict());
        assertEquals(A, MajorityVote.of(List.of(B, A, A, TIE)).verdict(), "a later larger count replaces an earlier one");
        assertEquals(B, MajorityVote.of(List.of(A, B, B, B, TIE, TIE, NONE, NONE)).verdict(), "equal counts below the top are no tie");
        assertEquals(NONE, MajorityVote.of(List.of(A, B, B, TIE, TIE, NONE, NONE, NONE)).verdict(), "B and tie level at the top");
        assertEquals(Map.of(A, 1, B, 2, TIE, 2, NONE, 3), MajorityVote.of(List.of(A, B, B, TIE, TIE, NONE, NONE, NONE)).counts());
    }

    @Test
    void optionBounds() {
        EvalOptions d = EvalOptions.defaults();
        assertThrows(IllegalArgumentException.class, () -> d.withSamples(0));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxTokens(0));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxTurns(-1));
        assertThrows(IllegalArgumentException.class, () -> d.withConcurrency(0));
        assertThrows(IllegalArgumentException.class, () -> d.withPriorSets(-0.01));
        assertThrows(IllegalArgumentException.class, () -> d.withPriorSets(1.01));
        assertThrows(NullPointerException.class, () -> d.withOrder(null));
        assertThrows(NullPointerException.class, () -> d.withParseRule(null));
        assertThrows(NullPointerException.class, () -> d.withPrompts(null));
        // The bounds themselves are valid.
        assertEquals(1, d.withSamples(1).samples());
        assertEquals(1, d.withMaxTokens(1).maxTokens());
        assertEquals(0, d.withMaxTurns(0).maxTurns());
        assertEquals(1, d.withConcurrency(1).concurrency());
        assertEquals(0.0, d.withPriorSets(0.0).priorSets());
        assertEquals(1.0, d.withPriorSets(1.0).priorSets());
        assertFalse(d.withSamples(1).sampled());
        assertTrue(d.withSamples(2).sampled());
        // Defaults: RewardBench's protocol.
        assertEquals(new EvalOptions(Order.RANDOM, 1, 1, 0.7, 0.9, 2048, ParseRule.REWARDBENCH, d.prompts(), 2, 8, null, null), d);
        // Each with* changes its own field only.
        EvalOptions.Progress p = (done, total) -> { };
        EvalOptions all = d.withOrder(Order.BOTH).withSeed(5).withSamples(3).withSampling(0.1, 0.2).withMaxTokens(10)
                .withParseRule(ParseRule.SFT).withMaxTurns(4).withConcurrency(2).withPriorSets(0.5).withProgress(p);
        assertEquals(new EvalOptions(Order.BOTH, 5, 3, 0.1, 0.2, 10, ParseRule.SFT, d.prompts(), 4, 2, 0.5, p), all);
        assertSame(d.prompts(), d.withPrompts(d.prompts()).prompts());
    }

    /** A judge whose answer to request i is given by a function (texts, or an exception). */
    private static ScriptedJudge judge(java.util.function.Function<ModelRequest, List<String>> f) {
        return new ScriptedJudge(f::apply);
    }

    @Test
    void judgeCallsReportProgressAndKeepRequestOrder() {
        List<ModelRequest> reqs = new ArrayList<>();
        for (int i = 0; i < 5; i++) reqs.add(ModelRequest.chat(List.of(dev.selftaught.data.ChatMessage.user("q" + i)), SamplingParams.greedy(5)));
        List<int[]> updates = Collections.synchronizedList(new ArrayList<>());
        List<ModelResponse> out = JudgeCalls.run(judge(r -> List.of("answer to " + ScriptedJudge.user(r))), reqs, 3,
                (done, total) -> updates.add(new int[] {done, total}));
        for (int i = 0; i < 5; i++) assertEquals("answer to q" + i, out.get(i).texts().getFirst());
        assertEquals(6, updates.size(), "once before the calls, then after each");
        assertArrayEquals(new int[] {0, 5}, updates.getFirst());
        assertEquals(5, updates.stream().mapToInt(u -> u[0]).max().orElseThrow());
        assertTrue(updates.stream().allMatch(u -> u[1] == 5));
        assertEquals(List.of(), JudgeCalls.run(judge(r -> List.of()), List.of(), 1, null));
    }

    @Test
    void aFailedJudgeCallFailsTheBatchNamingHowMany() {
        List<ModelRequest> reqs = new ArrayList<>();
        for (int i = 0; i < 4; i++) reqs.add(ModelRequest.chat(List.of(dev.selftaught.data.ChatMessage.user("q" + i)), SamplingParams.greedy(5)));
        ModelException e = assertThrows(ModelException.class, () -> JudgeCalls.run(judge(r -> {
            if (ScriptedJudge.user(r).equals("q1") || ScriptedJudge.user(r).equals("q3")) throw new ModelException("server said 503", true);
            return List.of("ok");
        }), reqs, 1, null));
        assertTrue(e.getMessage().startsWith("2 of 4 judge calls failed (first: server said 503)"), e.getMessage());
        assertTrue(e.retryable());
        ModelException permanent = assertThrows(ModelException.class, () -> JudgeCalls.run(judge(r -> {
            throw new ModelException("bad request", false);
        }), reqs.subList(0, 1), 1, null));
        assertFalse(permanent.retryable());
        // A judge that answers with the wrong number of completions is an error too.
        ModelRequest three = ModelRequest.chat(List.of(dev.selftaught.data.ChatMessage.user("q")), SamplingParams.sample(0.7, 0.9, 5, 3, 1L));
        ModelException wrong = assertThrows(ModelException.class, () -> JudgeCalls.run(judge(r -> List.of("a", "b")), List.of(three), 1, null));
        assertEquals("judge returned 2 completions, expected 3", wrong.getMessage());
    }

    @Test
    void pairJudgeGivesTheVoteAndTheReasoningOfAnAgreeingSample() {
        EvalOptions o = EvalOptions.defaults().withSamples(3).withParseRule(ParseRule.SFT).withSeed(4);
        List<ModelRequest> seen = Collections.synchronizedList(new ArrayList<>());
        ScriptedJudge j = judge(r -> {
            seen.add(r);
            return ScriptedJudge.user(r).contains("first question") ? List.of("hmm [[A]]", "because [[B]]", "so [[B]]")
                    : List.of("no idea", "still none", "[[C]]");
        });
        var in1 = new PairJudge.Input("p1", List.of(dev.selftaught.data.ChatMessage.user("first question")), "ra", "rb");
        var in2 = new PairJudge.Input("p2", List.of(dev.selftaught.data.ChatMessage.user("second question")), "ra", "rb");
        List<PairJudge.Output> out = PairJudge.judge(j, List.of(in1, in2), o);
        assertEquals(B, out.get(0).verdict());
        assertEquals("because [[B]]", out.get(0).reasoning(), "the first sample that agrees with the vote");
        assertEquals(Map.of(A, 1, B, 2, TIE, 0, NONE, 0), out.get(0).votes());
        assertEquals(List.of(A, B, B), out.get(0).verdicts());
        assertEquals("p2", out.get(1).id());
        assertEquals(TIE, out.get(1).verdict());
        assertEquals("[[C]]", out.get(1).reasoning());
        for (ModelRequest r : seen) {
            String id = ScriptedJudge.user(r).contains("first question") ? "p1" : "p2";
            assertEquals(SamplingParams.sample(o.temperature(), o.topP(), o.maxTokens(), 3, Evaluator.sampleSeed(4, id, true)), r.params());
        }
        // Greedy: one sample; with no verdict at all the reasoning is the first sample.
        var greedy = PairJudge.judge(judge(r -> List.of("no verdict here")), List.of(in1), EvalOptions.defaults());
        assertEquals(NONE, greedy.getFirst().verdict());
        assertEquals("no verdict here", greedy.getFirst().reasoning());
    }
}
