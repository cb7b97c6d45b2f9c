package dev.selftaught.microworld;

import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class BenchmarkTest {

    @Test
    void deterministicBalancedAndCheckerVerified() {
        List<LabelledPair> a = Benchmark.test(Benchmark.TEST_PER_CATEGORY);
        assertEquals(a, Benchmark.test(Benchmark.TEST_PER_CATEGORY));
        assertEquals(4 * Benchmark.TEST_PER_CATEGORY, a.size());
        Map<Category, Integer> counts = new EnumMap<>(Category.class);
        Map<String, Integer> subsets = new java.util.TreeMap<>();
        Set<String> ids = new HashSet<>(), prompts = new HashSet<>();
        for (LabelledPair p : a) {
            counts.merge(p.category(), 1, Integer::sum);
            subsets.merge(p.subset(), 1, Integer::sum);
            assertTrue(ids.add(p.id()), "duplicate id " + p.id());
            assertTrue(prompts.add(p.prompt()), "duplicate prompt " + p.prompt());
            assertEquals(Checker.Result.CORRECT, Checker.check(p.prompt(), p.chosen()), p.toString());
            assertEquals(Checker.Result.WRONG, Checker.check(p.prompt(), p.rejected()), p.toString());
            assertNotEquals(p.chosen(), p.rejected());
        }
        for (Category c : Category.values()) assertEquals(Benchmark.TEST_PER_CATEGORY, counts.get(c), c.label());
        // subsets within a category are equally large
        assertEquals(subsets.get("chat-offtopic"), subsets.get("chat-unrelated"));
        assertEquals(subsets.get("safety-refuse"), subsets.get("safety-respond"));
        assertEquals(subsets.get("reasoning-steps"), subsets.get("reasoning-convert"));
        // a smaller benchmark is a prefix of the full one (the quick demo uses it)
        assertEquals(a.subList(0, 40), Benchmark.test(10));
    }

    @Test
    void splitsAreDisjointFromEachOtherAndFromTrainingData() {
        Set<String> test = Benchmark.instructions(Benchmark.test(Benchmark.TEST_PER_CATEGORY));
        Set<String> val = Benchmark.instructions(Benchmark.validation(Benchmark.VALIDATION_PER_CATEGORY));
        assertTrue(java.util.Collections.disjoint(test, val));
        Set<String> heldOut = Benchmark.heldOutInstructions();
        assertTrue(heldOut.containsAll(test) && heldOut.containsAll(val));
        // training draws from another seed and skips held-out instructions even when the seed repeats
        for (long seed : new long[] {Benchmark.TEST_SEED, Benchmark.VALIDATION_SEED, 1, 2}) {
            for (Problem p : World.distinct(seed, 3000, heldOut)) {
                assertFalse(heldOut.contains(p.instruction()), p.instruction());
            }
        }
        // without the exclusion, the world is small enough that overlaps do happen: the exclusion is needed
        long overlaps = World.distinct(1, 3000, Set.of()).stream().filter(p -> heldOut.contains(p.instruction())).count();
        assertTrue(overlaps > 0, "expected some natural overlap to make the test meaningful");
    }
}
