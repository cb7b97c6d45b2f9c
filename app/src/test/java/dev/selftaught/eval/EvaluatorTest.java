package dev.selftaught.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.selftaught.eval.bench.Benchmarks;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.store.CachedModel;
import dev.selftaught.store.CallStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvaluatorTest {

    private static List<PairwiseItem> items(int n, String subset) {
        List<PairwiseItem> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(PairwiseItem.single(subset + "/" + i, "question " + i, "GOOD " + i, "poor " + i, subset));
        return out;
    }

    @Test
    void perfectJudgeInRandomOrder() {
        ScriptedJudge judge = ScriptedJudge.picksGood();
        EvalResult r = Evaluator.evaluate(judge, items(40, "llmbar-natural"), EvalOptions.defaults());
        assertEquals(1.0, r.subsets().get("llmbar-natural").accuracy());
        assertEquals(40, r.subsets().get("llmbar-natural").n());
        assertEquals(1.0, r.categories().get(RewardBench.CHAT_HARD));
        assertEquals(1.0, r.overall());
        assertEquals(0.0, r.parseFailureRate());
        assertNull(r.positionConsistency());
        // One greedy call per item; the random order puts chosen in both positions, reproducibly.
        assertEquals(40, judge.calls.get());
        assertTrue(judge.requests.stream().allMatch(q -> q.params().temperature() == 0 && q.params().n() == 1
                && q.params().maxTokens() == 2048));
        long chosenAsA = r.items().stream().filter(i -> i.judgments().getFirst().chosenAsA()).count();
        assertTrue(chosenAsA > 5 && chosenAsA < 35, "chosen as A " + chosenAsA + " of 40");
        EvalResult again = Evaluator.evaluate(ScriptedJudge.picksGood(), items(40, "llmbar-natural"), EvalOptions.defaults());
        for (int i = 0; i < 40; i++) {
            assertEquals(r.items().get(i).judgments().getFirst().chosenAsA(), again.items().get(i).judgments().getFirst().chosenAsA());
        }
        EvalResult otherSeed = Evaluator.evaluate(ScriptedJudge.picksGood(), items(40, "llmbar-natural"), EvalOptions.defaults().withSeed(99));
        boolean differs = false;
        for (int i = 0; i < 40; i++) {
            differs |= r.items().get(i).judgments().getFirst().chosenAsA() != otherSeed.items().get(i).judgments().getFirst().chosenAsA();
        }
        assertTrue(differs, "another seed gives other orders");
    }

    @Test
    void positionBiasedJudgeWithBothOrders() {
        EvalResult r = Evaluator.evaluate(ScriptedJudge.alwaysA(), items(10, "hep-go"), EvalOptions.defaults().withOrder(Order.BOTH));
        // Right when chosen is A, wrong when it is B: each item scores (1 + 0) / 2.
        assertEquals(0.5, r.subsets().get("hep-go").accuracy());
        assertEquals(0.0, r.positionConsistency());
        assertEquals(1.0, r.accuracyChosenA());
        assertEquals(0.0, r.accuracyChosenB());
        assertEquals(20, r.samples());

        EvalResult fixedA = Evaluator.evaluate(ScriptedJudge.alwaysA(), items(10, "hep-go"), EvalOptions.defaults().withOrder(Order.FIXED_A));
        assertEquals(1.0, fixedA.overall());
        EvalResult fixedB = Evaluator.evaluate(ScriptedJudge.alwaysA(), items(10, "hep-go"), EvalOptions.defaults().withOrder(Order.FIXED_B));
        assertEquals(0.0, fixedB.overall());

        EvalResult good = Evaluator.evaluate(ScriptedJudge.picksGood(), items(10, "hep-go"), EvalOptions.defaults().withOrder(Order.BOTH));
        assertEquals(1.0, good.positionConsistency());
    }

    @Test
    void unparsedVerdictsScoreHalfAndAreReported() {
        EvalResult r = Evaluator.evaluate(ScriptedJudge.mute(), items(8, "pandalm"), EvalOptions.defaults());
        assertEquals(0.5, r.subsets().get("pandalm").accuracy());
        assertEquals(1.0, r.parseFailureRate());
        assertEquals(1.0, r.unresolvedRate());
        assertTrue(r.categories().isEmpty());
        assertEquals("items", r.overallBasis());
        assertEquals(0.5, r.overall());
    }

    @Test
    void majorityVoteOverSamples() {
        // 5 samples: items with an even index get 3 right + 2 unparsable; odd ones 2 right + 2 wrong + 1 unparsable (tie -> 0.5).
        ScriptedJudge judge = new ScriptedJudge(q -> {
            boolean goodIsA = ScriptedJudge.answerA(q).contains("GOOD");
            String right = goodIsA ? "[[A]]" : "[[B]]", wrong = goodIsA ? "[[B]]" : "[[A]]";
            boolean even = ScriptedJudge.user(q).matches("(?s).*question \\d*[02468]\\n.*");
            return even ? List.of(right, "?", right, "??", right) : List.of(right, wrong, "?", wrong, right);
        });
        EvalResult r = Evaluator.evaluate(judge, items(6, "hep-js"), EvalOptions.defaults().withSamples(5));
        assertEquals((3 * 1.0 + 3 * 0.5) / 6, r.subsets().get("hep-js").accuracy(), 1e-12);
        assertEquals((3 * 2 + 3 * 1) / 30.0, r.parseFailureRate(), 1e-12);
        assertEquals(0.5, r.unresolvedRate(), 1e-12);
        assertTrue(judge.requests.stream().allMatch(q -> q.params().n() == 5 && q.params().temperature() == 0.7
                && q.params().topP() == 0.9 && q.params().seed() != null));
        Judgment j = r.items().get(1).judgments().getFirst();
        assertEquals(Verdict.NONE, j.verdict());
        assertEquals(2, j.votes().get(Verdict.A));
        assertEquals(2, j.votes().get(Verdict.B));
    }

    @Test
    void twoTurnItemsGetTheMultiTurnPromptAndLongerOnesScoreHalf() {
        List<ChatMessage> two = List.of(ChatMessage.user("q1"), ChatMessage.assistant("a1"), ChatMessage.user("q2"));
        List<ChatMessage> three = List.of(ChatMessage.user("q1"), ChatMessage.assistant("a1"), ChatMessage.user("q2"),
                ChatMessage.assistant("a2"), ChatMessage.user("q3"));
        List<PairwiseItem> its = List.of(new PairwiseItem("two", two, "GOOD", "bad", "hh"),
                new PairwiseItem("three", three, "GOOD", "bad", "hh"));
        ScriptedJudge judge = ScriptedJudge.picksGood();
        EvalResult r = Evaluator.evaluate(judge, its, EvalOptions.defaults());
        assertEquals(1, judge.calls.get());
        assertTrue(ScriptedJudge.user(judge.requests.getFirst()).contains("Conversation with User"));
        assertEquals(1.0, r.items().get(0).score());
        assertFalse(r.items().get(1).judged());
        assertEquals(0.5, r.items().get(1).score());
        assertEquals(0.75, r.subsets().get("hh").accuracy());
        assertEquals(1, r.notJudged());
        // --max-turns 0 judges everything.
        EvalResult all = Evaluator.evaluate(ScriptedJudge.picksGood(), its, EvalOptions.defaults().withMaxTurns(0));
        assertEquals(1.0, all.overall());
    }

    @Test
    void categoriesAndLeaderboardFromRealSubsets() {
        Path data = Path.of(System.getProperty("shared.data"));
        List<PairwiseItem> bench = new ArrayList<>(Benchmarks.load("llmbar-natural,hep-python", data).items());
        // An always-A judge with chosen fixed in A is right everywhere; in both orders it scores exactly 0.5.
        EvalResult r = Evaluator.evaluate(ScriptedJudge.alwaysA(), bench, EvalOptions.defaults().withOrder(Order.FIXED_A)
                .withPriorSets(0.5));
        assertEquals(1.0, r.subsets().get("llmbar-natural").accuracy());
        assertEquals(1.0, r.subsets().get("hep-python").accuracy());
        assertEquals(List.of(RewardBench.CHAT_HARD, RewardBench.REASONING), new ArrayList<>(r.categories().keySet()));
        assertEquals((2 * 1.0 + 2 * 1.0 + 0.5) / 5, r.overallLeaderboard(), 1e-12);
        EvalResult half = Evaluator.evaluate(ScriptedJudge.alwaysA(), bench, EvalOptions.defaults().withOrder(Order.BOTH));
        assertEquals(0.5, half.categories().get(RewardBench.REASONING), 1e-12);
    }

    @Test
    void writesMetricsAndEveryRawJudgment(@TempDir Path dir) throws Exception {
        EvalResult r = Evaluator.evaluate(ScriptedJudge.picksGood(), items(5, "llmbar-adver-manual"),
                EvalOptions.defaults().withOrder(Order.BOTH).withPriorSets(0.7));
        r.writeTo(dir, "scripted-judge", "unit");
        JsonNode m = new ObjectMapper().readTree(dir.resolve("metrics.json").toFile());
        assertEquals(1.0, m.at("/subsets/llmbar-adver-manual/accuracy").asDouble());
        assertEquals(5, m.at("/subsets/llmbar-adver-manual/n").asInt());
        assertEquals(1.0, m.at("/categories/Chat Hard").asDouble());
        assertEquals(1.0, m.get("overall").asDouble());
        assertEquals((2 * 1.0 + 0.7) / 3, m.get("overall_leaderboard").asDouble(), 1e-12);
        assertEquals(0.0, m.get("parse_failure_rate").asDouble());
        assertEquals(1.0, m.get("position_consistency").asDouble());
        assertEquals("both", m.get("order").asText());
        assertEquals(1, m.get("seed").asLong());
        assertEquals("scripted-judge", m.get("judge").asText());
        List<String> lines = Files.readAllLines(dir.resolve("judgments.jsonl"));
        assertEquals(10, lines.size());
        JsonNode first = new ObjectMapper().readTree(lines.getFirst());
        assertEquals("llmbar-adver-manual/0", first.get("id").asText());
        assertEquals("chosen_A", first.get("order").asText());
        assertFalse(first.get("is_shuffled").asBoolean());
        assertEquals("Looking at both. [[A]]", first.at("/samples/0/text").asText());
        assertEquals("A", first.get("verdict").asText());
        try (var s = Files.list(dir)) {
            assertEquals(2, s.count(), "no temporary files left behind");
        }
    }

    @Test
    void rerunThroughTheCallStoreMakesNoCalls(@TempDir Path dir) {
        List<PairwiseItem> its = items(6, "hep-rust");
        ScriptedJudge first = ScriptedJudge.picksGood();
        EvalResult a;
        try (CallStore store = CallStore.open(dir.resolve("calls.sqlite"))) {
            a = Evaluator.evaluate(new CachedModel(first, store, false), its, EvalOptions.defaults());
        }
        assertEquals(6, first.calls.get());
        ScriptedJudge second = ScriptedJudge.picksGood();
        EvalResult b;
        try (CallStore store = CallStore.open(dir.resolve("calls.sqlite"))) {
            b = Evaluator.evaluate(new CachedModel(second, store, false), its, EvalOptions.defaults());
        }
        assertEquals(0, second.calls.get(), "every judgment came from the store");
        assertEquals(a.overall(), b.overall());
        assertEquals(a.judgmentRecords(), b.judgmentRecords());
    }
}
