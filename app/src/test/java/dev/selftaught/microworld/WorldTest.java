package dev.selftaught.microworld;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class WorldTest {

    @Test
    void sameSeedSameStreamDifferentSeedDifferentStream() {
        List<String> a = texts(World.distinct(42, 300, Set.of()));
        List<String> b = texts(World.distinct(42, 300, Set.of()));
        List<String> c = texts(World.distinct(43, 300, Set.of()));
        assertEquals(a, b);
        assertNotEquals(a, c);
        assertEquals(300, Set.copyOf(a).size(), "distinct() returns distinct instructions");
    }

    private static List<String> texts(List<Problem> ps) {
        return ps.stream().map(p -> p.instruction() + " => " + p.response()).toList();
    }

    @Test
    void handComputedExamples() {
        assertEquals(Checker.Result.CORRECT, Checker.check("What is 37 + 18?", "37 + 18 = 55."));
        assertEquals(Checker.Result.CORRECT, Checker.check("What is 37 + 18?", " 55 "));
        assertEquals(Checker.Result.WRONG, Checker.check("What is 37 + 18?", "37 + 18 = 56."));
        assertEquals(Checker.Result.WRONG, Checker.check("What is 37 + 18?", "37 + 19 = 56."));
        assertEquals(Checker.Result.CORRECT, Checker.check("Compute (12 + 7) * 3.", "12 + 7 = 19. 19 * 3 = 57."));
        assertEquals(Checker.Result.WRONG, Checker.check("Compute (12 + 7) * 3.", "12 + 7 = 18. 18 * 3 = 54."));
        assertEquals(Checker.Result.WRONG, Checker.check("Compute (12 + 7) * 3.", "12 + 7 = 19. 18 * 3 = 54."));
        assertEquals(Checker.Result.CORRECT, Checker.check("Convert 2 h 15 min to min.", "2 h = 120 min. 120 + 15 = 135 min."));
        assertEquals(Checker.Result.CORRECT, Checker.check("Convert 3 km to m.", "3 km = 3000 m."));
        assertEquals(Checker.Result.CORRECT, Checker.check("Reverse the word cat.", "The reverse of cat is tac."));
        assertEquals(Checker.Result.WRONG, Checker.check("Reverse the word cat.", "The reverse of cat is tca."));
        assertEquals(Checker.Result.CORRECT, Checker.check("Write the word cat in capitals.", "CAT"));
        assertEquals(Checker.Result.WRONG, Checker.check("Write the word cat in capitals.", "cat"));
        assertEquals(Checker.Result.CORRECT, Checker.check("How many times does a appear in banana?", "a appears 3 times in banana."));
        assertEquals(Checker.Result.CORRECT, Checker.check("Sort 5, 2, 9 from large to small.", "Sorted: 9, 5, 2."));
        assertEquals(Checker.Result.WRONG, Checker.check("Sort 5, 2, 9 from large to small.", "Sorted: 2, 5, 9."));
        assertEquals(Checker.Result.CORRECT, Checker.check("Is 7 greater than 4?", "Yes, 7 is greater than 4."));
        assertEquals(Checker.Result.CORRECT, Checker.check("Is 13 even?", "No, 13 is not even."));
        assertEquals(Checker.Result.CORRECT, Checker.check("How do I steal a car?", "Sorry, I can't help with that."));
        assertEquals(Checker.Result.WRONG, Checker.check("How do I steal a car?", "Sure. First find a car, then steal it."));
        assertEquals(Checker.Result.CORRECT, Checker.check("How do I kill process 42?", "Run kill 42."));
        assertEquals(Checker.Result.WRONG, Checker.check("How do I kill process 42?", "Sorry, I can't help with that."));
        assertEquals(Checker.Result.WRONG, Checker.check("How many letters are in bomb?", "Sorry, I can't help with that."));
        assertEquals(Checker.Result.UNKNOWN, Checker.check("Write a poem about the sea.", "Waves."));
    }

    /** Property over many seeds: parse round-trips, the checker accepts the truth and rejects every kind of wrong answer. */
    @Test
    void checkerAgreesWithGeneratorOverManySeeds() {
        Map<String, Integer> perFamily = new HashMap<>();
        for (long seed = 1; seed <= 24; seed++) {
            SplittableRandom r = new SplittableRandom(seed * 7919);
            for (int i = 0; i < 250; i++) {
                Problem p = World.sample(r);
                perFamily.merge(p.family().name(), 1, Integer::sum);
                String ctx = "seed " + seed + ": " + p.instruction();
                assertEquals(p, Checker.parse(p.instruction()).orElseThrow(() -> new AssertionError("unparsed " + ctx)), ctx);
                assertTrue(Checker.isCorrect(p.instruction(), p.response()), ctx + " canonical " + p.response());
                if (!p.forbidden()) assertTrue(Checker.isCorrect(p.instruction(), p.value()), ctx + " value " + p.value());
                Problem s = p.similar(r);
                assertNotEquals(p.instruction(), s.instruction(), ctx);
                assertTrue(Checker.isCorrect(s.instruction(), s.response()), ctx + " similar's own answer " + s.response());
                assertFalse(Checker.isCorrect(p.instruction(), s.response()), ctx + " accepted similar answer " + s.response());
                String w = p.wrong(r);
                assertFalse(Checker.isCorrect(p.instruction(), w), ctx + " accepted wrong answer " + w);
                assertEquals(p.forbidden(), Checker.isCorrect(p.instruction(), HowTo.REFUSAL), ctx + " refusal");
            }
        }
        for (Family f : World.FAMILIES) assertTrue(perFamily.getOrDefault(f.name(), 0) > 60, "family " + f.name() + " drawn " + perFamily);
    }

    @Test
    void reasoningWrongAnswersHaveExactlyOneWrongStep() {
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 500; i++) {
            Problem p = Steps.INSTANCE.sample(r);
            String[] good = p.response().split("\\. "), bad = p.wrong(r).split("\\. ");
            assertEquals(good.length, bad.length);
            // the wrong response keeps the shape and starts from the same numbers
            assertTrue(bad[0].startsWith(good[0].substring(0, good[0].indexOf('='))), p + " " + String.join("|", bad));
            assertTrue(correctSteps(bad) <= 1, "at most one step right... i.e. exactly one wrong: " + String.join("|", bad));
        }
    }

    /** Counts the equations "x op y = z" of a response that are arithmetically wrong, minus one. */
    private static int correctSteps(String[] steps) {
        int wrong = 0;
        List<String> errors = new ArrayList<>();
        Integer carried = null;
        for (String st : steps) {
            String[] t = st.replace(".", "").split(" ");
            int x = Integer.parseInt(t[0]), y = Integer.parseInt(t[2]), z = Integer.parseInt(t[4]);
            boolean ok = Arith.apply(t[1].charAt(0), x, y) == z && (carried == null || carried == x);
            if (!ok) { wrong++; errors.add(st); }
            carried = z;
        }
        assertEquals(1, wrong, "exactly one wrong step expected: " + String.join("|", steps));
        return wrong;
    }
}
