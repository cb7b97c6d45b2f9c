package dev.selftaught.microworld;

import dev.selftaught.eval.ParseRule;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

class SeedCorpusTest {

    /**
     * The weak judge knows the form but judges poorly: on training-side pairs it is right well
     * under 75% of the time, yet far from always wrong, and its chains differ in whether their own
     * check was right (so rejection sampling has something to select).
     */
    @Test
    void weakJudgeReasonsInFormButJudgesPoorly() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        int right = 0, n = 0, goodCheckRight = 0, goodCheck = 0;
        for (Problem p : World.distinct(77, 2000, Set.of())) {
            String rejected = p.wrong(r);
            boolean chosenFirst = r.nextBoolean();
            String a = chosenFirst ? p.response() : rejected, b = chosenFirst ? rejected : p.response();
            String j = WeakJudge.judgment(p, a, b, r);
            assertTrue(j.startsWith("Check: ") && (j.endsWith("[[A]]") || j.endsWith("[[B]]")), j);
            var v = ParseRule.SFT.parse(j);
            assertTrue(v.decisive(), j);
            boolean ok = j.endsWith(chosenFirst ? "[[A]]" : "[[B]]");
            n++;
            if (ok) right++;
            if (j.startsWith("Check: " + WeakJudge.check(p))) {
                goodCheck++;
                if (ok) goodCheckRight++;
            }
        }
        double acc = (double) right / n, checkedAcc = (double) goodCheckRight / goodCheck;
        assertTrue(acc > 0.5 && acc < 0.72, "weak judge accuracy " + acc);
        assertTrue(goodCheck > 0.5 * n && goodCheck < 0.7 * n, "correct checks " + goodCheck + " of " + n);
        // a chain whose check was right reaches the right verdict more often: the signal rejection sampling selects
        assertTrue(checkedAcc > acc + 0.05, checkedAcc + " vs " + acc);
    }

    /** On the length-balanced held-out benchmark, "prefer the longer answer" is at chance. */
    @Test
    void lengthHeuristicIsAtChanceOnTheBenchmark() {
        int right = 0;
        List<LabelledPair> bench = Benchmark.test(Benchmark.TEST_PER_CATEGORY);
        for (LabelledPair p : bench) if (p.chosen().length() > p.rejected().length()) right++;
        assertEquals(0.5, (double) right / bench.size(), 0.02);
    }

    @Test
    void corpusIsDeterministicAvoidsHeldOutAndJudgmentsParse() {
        Set<String> held = Benchmark.heldOutInstructions();
        List<Corpus.Conversation> a = Corpus.build(11, 3000, held);
        assertEquals(a, Corpus.build(11, 3000, held));
        assertNotEquals(a, Corpus.build(12, 3000, held));
        Map<String, Integer> kinds = new TreeMap<>();
        for (Corpus.Conversation c : a) {
            kinds.merge(c.kind(), 1, Integer::sum);
            String user = c.prompt().getLast().content();
            // held-out instructions appear nowhere, not even as a line inside a judge or pair prompt
            for (String line : user.split("\n")) assertFalse(held.contains(line.strip()), "held-out instruction in corpus: " + line);
            if (c.kind().equals("judge")) {
                var v = ParseRule.SFT.parse(c.target());
                assertTrue(v.decisive(), c.target());
            }
            if (c.kind().equals("modify")) {
                var parsed = dev.selftaught.pipeline.PairsStage.parseModified(c.target(), "unrelated original");
                assertNull(parsed.dropReason(), c.target());
            }
        }
        for (String k : Corpus.KINDS) assertTrue(kinds.getOrDefault(k, 0) > 100, kinds.toString());
    }

    @Test
    void pairAuditCountsWhatTheCheckerCanConfirm() {
        var ps = java.util.List.of(
                new dev.selftaught.pipeline.Records.Pair("1", "What is 2 + 3?", "What is 2 + 4?", "2 + 3 = 5.", "2 + 4 = 6.", "m"),
                new dev.selftaught.pipeline.Records.Pair("2", "What is 2 + 3?", "What is 2 + 4?", "2 + 3 = 7.", "2 + 4 = 9.", "m"),
                new dev.selftaught.pipeline.Records.Pair("3", "What is 2 + 3?", null, "2 + 3 = 7.", "5", "bad_response"));
        PairAudit a = PairAudit.of(ps);
        assertEquals(new PairAudit(3, 1, 2, 2, 1, 1, 1), a);
        assertEquals(1, a.unordered());
    }
}
