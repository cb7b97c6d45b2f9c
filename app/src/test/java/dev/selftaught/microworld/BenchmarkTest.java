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
        assertEquals(subsets.get("chat-offtopic"), subsets.get("chat-evasive"));
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

    /**
     * The separation the benchmark is built on: for every item, no training-side generator can
     * produce its rejected answer for its prompt. The training side's generators are enumerated by
     * drawing them many times per item (their output spaces are small: offsets of 1-9, a handful of
     * swaps), together with the one refusal and compliance texts.
     */
    @Test
    void noRejectedAnswerIsProducibleByAnyTrainingSideGenerator() {
        List<LabelledPair> items = new java.util.ArrayList<>(Benchmark.test(Benchmark.TEST_PER_CATEGORY));
        items.addAll(Benchmark.validation(Benchmark.VALIDATION_PER_CATEGORY));
        items.addAll(Benchmark.test(0xF2E5L, 50));
        for (LabelledPair item : items) {
            Problem p = Checker.parse(item.prompt()).orElseThrow();
            Set<String> producible = new HashSet<>();
            java.util.SplittableRandom r = new java.util.SplittableRandom(item.prompt().hashCode());
            for (int i = 0; i < 800; i++) {
                producible.add(Checker.normalize(p.wrong(r)));
                producible.add(Checker.normalize(p.similar(r).response()));
            }
            producible.add(Checker.normalize(HowTo.REFUSAL));
            if (p instanceof HowTo.Prob h) producible.add(Checker.normalize(h.compliance()));
            assertFalse(producible.contains(Checker.normalize(item.rejected())), item.toString());
        }
    }

    /** Chat Hard's perturbation family is disjoint from similar()'s: no variant instruction is a similar instruction. */
    @Test
    void chatHardVariantsComeFromAnotherPerturbationFamily() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        int variants = 0;
        for (int n = 0; n < 3000; n++) {
            Problem p = Rnd.pick(r, World.CHAT_FAMILIES).sample(r);
            var v = HeldOut.variant(p, r);
            if (v.isEmpty()) continue;
            variants++;
            assertFalse(Checker.isCorrect(p.instruction(), v.get().response()), v.get().toString());
            for (int i = 0; i < 300; i++) {
                Problem s = p.similar(r);
                assertNotEquals(s.instruction(), v.get().instruction(), p.instruction());
                assertNotEquals(Checker.normalize(s.response()), Checker.normalize(v.get().response()), p.instruction());
            }
        }
        assertTrue(variants > 1500, "variants " + variants);
    }

    /** The held-out texts appear in no training conversation of any kind. */
    @Test
    void heldOutTextsNeverAppearInTheSeedCorpus() {
        var corpus = Corpus.build(11, 6000, Benchmark.heldOutInstructions());
        List<String> heldOut = new java.util.ArrayList<>(HeldOut.REFUSALS);
        heldOut.addAll(HeldOut.EVASIVE);
        // the compliance templates' fixed words, as they would appear in any rendering
        for (String c : HeldOut.COMPLIANCE) {
            for (String part : c.split("%[12]\\$s")) if (part.strip().length() >= 8) heldOut.add(part.strip());
        }
        for (Corpus.Conversation c : corpus) {
            String text = SeedPretrainer.text(c);
            for (String h : heldOut) assertFalse(text.contains(h.strip()), "held-out text '" + h + "' in " + c);
        }
    }

    /** In every category about half the items have the longer answer as the chosen one; never a tie. */
    @Test
    void lengthBalancedInEveryCategory() {
        for (List<LabelledPair> split : List.of(Benchmark.test(Benchmark.TEST_PER_CATEGORY), Benchmark.test(0xF2E5L, 100),
                Benchmark.validation(Benchmark.VALIDATION_PER_CATEGORY))) {
            Map<Category, int[]> longer = new EnumMap<>(Category.class);
            for (LabelledPair p : split) {
                assertNotEquals(p.chosen().length(), p.rejected().length(), p.toString());
                int[] c = longer.computeIfAbsent(p.category(), k -> new int[2]);
                if (p.chosen().length() > p.rejected().length()) c[0]++;
                c[1]++;
            }
            for (var e : longer.entrySet()) {
                double f = (double) e.getValue()[0] / e.getValue()[1];
                assertTrue(Math.abs(f - 0.5) <= 0.05, e.getKey() + " chosen longer in " + f);
            }
        }
    }

    /**
     * The frozen benchmark, pinned: any change to the world's generators that moves a byte of the
     * default test or validation split fails here (bump {@link Benchmark#VERSION} and say why).
     */
    @Test
    void defaultBenchmarkIsFrozen(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        var t = WorldFiles.writePairs(tmp.resolve("t.jsonl"), Benchmark.test(Benchmark.TEST_PER_CATEGORY));
        var v = WorldFiles.writePairs(tmp.resolve("v.jsonl"), Benchmark.validation(Benchmark.VALIDATION_PER_CATEGORY));
        assertEquals(FROZEN_TEST_SHA256, sha256(t));
        assertEquals(FROZEN_VALIDATION_SHA256, sha256(v));
        assertEquals(2, Benchmark.VERSION);
    }

    static final String FROZEN_TEST_SHA256 = "cf8c2217d1061dba07f584da58afafd7fde8c5815b898f6f68f85305b4bffa80";
    static final String FROZEN_VALIDATION_SHA256 = "e48dea26eb3558d8db5246c298ab18a8d0b82c428e2400117b140b7c81a27c5e";

    static String sha256(java.nio.file.Path f) throws Exception {
        var md = java.security.MessageDigest.getInstance("SHA-256");
        return java.util.HexFormat.of().formatHex(md.digest(java.nio.file.Files.readAllBytes(f)));
    }
}
