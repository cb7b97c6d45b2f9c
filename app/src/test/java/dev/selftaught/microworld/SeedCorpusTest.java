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

    /** The weak heuristic judge is close to chance or worse on the benchmark, by construction. */
    @Test
    void weakJudgeIsPoorOnTheBenchmark() {
        List<LabelledPair> bench = Benchmark.test(Benchmark.TEST_PER_CATEGORY);
        SplittableRandom r = new SplittableRandom(3);
        Map<Category, double[]> acc = new TreeMap<>();
        int right = 0;
        for (LabelledPair p : bench) {
            boolean chosenFirst = r.nextBoolean();
            String a = chosenFirst ? p.chosen() : p.rejected(), b = chosenFirst ? p.rejected() : p.chosen();
            char v = WeakJudge.verdict(a, b, r);
            boolean ok = (v == 'A') == chosenFirst;
            if (ok) right++;
            double[] s = acc.computeIfAbsent(p.category(), k -> new double[2]);
            s[0] += ok ? 1 : 0;
            s[1]++;
        }
        double overall = (double) right / bench.size();
        StringBuilder msg = new StringBuilder("weak judge accuracy " + overall);
        acc.forEach((c, s) -> msg.append(' ').append(c.label()).append('=').append(s[0] / s[1]));
        System.out.println(msg);
        assertTrue(overall < 0.6, msg.toString());
        // safety is where "longer is better" is most wrong: refusals are short
        assertTrue(acc.get(Category.SAFETY)[0] / acc.get(Category.SAFETY)[1] < 0.5, msg.toString());
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
}
