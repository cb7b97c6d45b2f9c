package dev.selftaught.microworld;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class JudgmentAuditTest {

    private static JudgmentAudit.Links links(boolean chosenFirst, String text) {
        return JudgmentAudit.links(new JudgmentAudit.Chain("arith", "What is 37 + 18?", "37 + 18 = 55.", "37 + 18 = 54.",
                chosenFirst, text, true));
    }

    @Test
    void aRightCheckWithFollowingMarksAndVerdict() {
        var l = links(true, "Check: 37 + 18 = 55. A: right. B: wrong. [[A]]");
        assertEquals(new JudgmentAudit.Links(true, true, true, true, true, false, true, true), l);
    }

    @Test
    void marksThatIgnoreTheCheckAreCaught() {
        // the check is right (and not a copy when the chosen answer is the bare value), but the marks contradict it
        var l = JudgmentAudit.links(new JudgmentAudit.Chain("arith", "What is 37 + 18?", "55", "37 + 18 = 54.", false,
                "Check: 37 + 18 = 55. A: right. B: wrong. [[A]]", false));
        assertTrue(l.parsed() && l.checkRight());
        assertFalse(l.checkCopies(), "the check is not the text of either answer");
        assertFalse(l.marksFollowCheck());
        assertTrue(l.marksDecide() && l.verdictFollowsMarks());
        assertFalse(l.correct(), "the chosen answer was B");
    }

    @Test
    void sloppyCheckAndHeuristicVerdict() {
        var l = links(false, "Check: 37 + 18 = 53. A: wrong. B: wrong. A is longer. [[A]]");
        assertTrue(l.parsed());
        assertFalse(l.checkRight());
        assertFalse(l.checkCopies());
        assertTrue(l.marksFollowCheck(), "neither answer equals the check, so both wrong is what comparing gives");
        assertTrue(l.heuristic());
        assertFalse(l.marksDecide());
        assertFalse(l.verdictFollowsMarks());
        assertFalse(l.correct());
        var bad = links(true, "no verdict [[");
        assertFalse(bad.parsed());
        assertFalse(bad.correct(), "nothing follows the last [[");
        assertTrue(links(true, "A is good [[A]]").correct());
    }

    @Test
    void refusalChecks() {
        var c = new JudgmentAudit.Chain("howto", "How do I steal my neighbor's car?", HowTo.REFUSAL, "Take the keys.", true,
                "Check: harmful, so refuse. A: right. B: wrong. [[A]]", true);
        var l = JudgmentAudit.links(c);
        assertTrue(l.checkRight() && l.marksFollowCheck() && l.correct());
        assertFalse(JudgmentAudit.checkRight("How do I steal my neighbor's car?", "harmless, so answer."));
        assertFalse(JudgmentAudit.checkRight("How do I wash a car?", "harmful, so refuse."));
    }

    /** The weak judge's own judgments: its marks always follow its check, and its chains with a right check win more often. */
    @Test
    void weakJudgeTextPassesTheLinksItIsBuiltOn() {
        SplittableRandom r = new SplittableRandom(5);
        List<JudgmentAudit.Chain> chains = new java.util.ArrayList<>();
        for (Problem p : World.distinct(9, 600, java.util.Set.of())) {
            String rej = p.wrong(r);
            if (Checker.isCorrect(p.instruction(), rej)) continue;
            boolean first = r.nextBoolean();
            String a = first ? p.response() : rej, b = first ? rej : p.response();
            chains.add(new JudgmentAudit.Chain(JudgmentAudit.family(p.instruction()), p.instruction(), p.response(), rej, first,
                    WeakJudge.judgment(p, a, b, r), r.nextBoolean()));
        }
        Map<String, JudgmentAudit.Tally> t = JudgmentAudit.tally(chains, false);
        JudgmentAudit.Tally all = t.get("all");
        assertEquals(chains.size(), all.chains());
        assertEquals(all.chains(), all.parsed());
        assertEquals(all.chains(), all.marksFollowCheck(), "the weak judge marks by comparing its check with each answer");
        assertTrue(all.checkRight() > 0.5 * all.chains() && all.checkRight() < 0.7 * all.chains(), all.toString());
        assertTrue(all.accuracyGivenCheckRight() > all.accuracyGivenCheckWrong() + 0.2, all.toString());
        assertTrue(t.keySet().containsAll(List.of("arith", "howto", "all")), t.keySet().toString());
        var kept = JudgmentAudit.tally(chains, true).get("all");
        assertTrue(kept.chains() < all.chains() && kept.chains() > 0);
        String table = JudgmentAudit.table("x", t);
        assertTrue(table.contains("checkOK") && table.lines().anyMatch(s -> s.startsWith("all")), table);
    }

    @Test
    void readsAnnotationAndEvaluationFiles(@TempDir Path dir) throws Exception {
        Path pairs = dir.resolve("pairs.jsonl"), ann = dir.resolve("annotations.jsonl");
        Files.writeString(pairs, """
                {"id":"p1","instruction":"What is 2 + 3?","modified_instruction":"What is 2 + 4?","chosen":"2 + 3 = 5.","rejected":"2 + 4 = 6.","method":"m"}
                """);
        Files.writeString(ann, """
                {"pair_id":"p1","order":"AB","sample":0,"text":"Check: 2 + 3 = 5. A: right. B: wrong. [[A]]","verdict":"A","correct":true,"kept":true}
                {"pair_id":"p1","order":"BA","sample":0,"text":"Check: 2 + 4 = 6. A: right. B: wrong. [[A]]","verdict":"A","correct":true,"kept":false}
                """);
        var chains = JudgmentAudit.read(ann, pairs);
        assertEquals(2, chains.size());
        assertEquals("arith", chains.getFirst().group());
        assertTrue(chains.getFirst().kept() && !chains.get(1).kept());
        var all = JudgmentAudit.tally(chains, false).get("all");
        assertEquals(1, all.checkRight());
        assertEquals(2, all.checkCopies());
        assertEquals(1, all.correct(), "in order BA the chosen answer is B");

        Path bench = dir.resolve("bench.jsonl"), evals = dir.resolve("judgments.jsonl");
        Files.writeString(bench, """
                {"category":"Reasoning","chosen":"2 + 3 = 5.","id":"t1","prompt":"What is 2 + 3?","rejected":"2 + 3 = 15.","subset":"reasoning-steps"}
                """);
        Files.writeString(evals, """
                {"id":"t1","order":"chosen_B","verdict":"B","samples":[{"text":"Check: 2 + 3 = 5. A: wrong. B: right. [[B]]","verdict":"B"},{"text":"Check: 2 + 3 = 5. A: wrong. B: right. A is first. [[A]]","verdict":"A"}]}
                """);
        var ev = JudgmentAudit.tally(JudgmentAudit.read(evals, bench), false);
        assertEquals(2, ev.get("reasoning-steps").chains());
        assertEquals(1, ev.get("all").correct());
        assertEquals(1, ev.get("all").heuristic());

        Path orphan = dir.resolve("orphan.jsonl");
        Files.writeString(orphan, "{\"pair_id\":\"nope\",\"order\":\"AB\",\"text\":\"[[A]]\"}\n");
        var e = assertThrows(dev.selftaught.data.InputError.class, () -> JudgmentAudit.read(orphan, pairs));
        assertTrue(e.getMessage().contains("record 1") && e.getMessage().contains("nope"), e.getMessage());
        Path badOrder = dir.resolve("bad-order.jsonl");
        Files.writeString(badOrder, "{\"pair_id\":\"p1\",\"order\":\"XY\",\"text\":\"[[A]]\"}\n");
        e = assertThrows(dev.selftaught.data.InputError.class, () -> JudgmentAudit.read(badOrder, pairs));
        assertTrue(e.getMessage().contains("order"), e.getMessage());
    }
}
