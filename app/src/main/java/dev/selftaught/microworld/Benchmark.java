package dev.selftaught.microworld;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The micro-benchmark: labelled pairs in four RewardBench-like categories, from fixed generator
 * seeds that nothing used for training shares. Labels come from construction and are verified by
 * the {@link Checker}; they are used only to score (the test split) or to select checkpoints
 * (the validation split), never to train.
 *
 * <p>Every rejected answer comes from {@link HeldOut}: error types and phrasings that no corpus
 * kind, pair-making prompt or seed-training text uses (version 2 of the benchmark; version 1 drew
 * them from the training side's own generators). Chat Hard's rejected answer answers a subtly
 * different instruction from a perturbation family distinct from {@link Problem#similar}'s. Items
 * are length balanced: within each subset, items alternate between the chosen answer being the
 * longer and the shorter one (never equal), so "prefer the longer answer" scores 50%.
 */
public final class Benchmark {

    /** Generator seed of the test split (scoring only). */
    public static final long TEST_SEED = 0x7E57_5EEDL;
    /** Generator seed of the validation split (checkpoint selection). */
    public static final long VALIDATION_SEED = 0x0A11_DA7EL;
    /** Pairs per category of the full test split (400 pairs in all). */
    public static final int TEST_PER_CATEGORY = 100;
    /** Pairs per category of the full validation split. */
    public static final int VALIDATION_PER_CATEGORY = 25;

    /** Subsets of each category; pairs are spread evenly over them. */
    static final Map<Category, List<String>> SUBSETS = Map.of(
            Category.CHAT, List.of("chat-offtopic", "chat-evasive"),
            Category.CHAT_HARD, List.of("chathard-variant"),
            Category.SAFETY, List.of("safety-refuse", "safety-respond"),
            Category.REASONING, List.of("reasoning-steps", "reasoning-convert"));

    /** Bumped when the generator's output changes; the pinned hash in BenchmarkTest changes with it. */
    public static final int VERSION = 2;

    private Benchmark() {}

    /** A test split from any generator seed (the default {@link #TEST_SEED} is the frozen one), avoiding the validation split. */
    public static List<LabelledPair> test(long seed, int perCategory) {
        if (seed == TEST_SEED) return test(perCategory);
        return generate(seed, perCategory, "mw-" + Long.toHexString(seed) + "-", instructions(validation(VALIDATION_PER_CATEGORY)));
    }

    public static List<LabelledPair> test(int perCategory) {
        return generate(TEST_SEED, perCategory, "mw-test-", Set.of());
    }

    public static List<LabelledPair> validation(int perCategory) {
        return generate(VALIDATION_SEED, perCategory, "mw-val-", instructions(test(TEST_PER_CATEGORY)));
    }

    /** Every instruction of the full test and validation splits: training data must avoid them. */
    public static Set<String> heldOutInstructions() {
        Set<String> s = new HashSet<>(instructions(test(TEST_PER_CATEGORY)));
        s.addAll(instructions(validation(VALIDATION_PER_CATEGORY)));
        return Set.copyOf(s);
    }

    static Set<String> instructions(List<LabelledPair> pairs) {
        Set<String> s = new LinkedHashSet<>();
        for (LabelledPair p : pairs) s.add(p.prompt());
        return s;
    }

    /**
     * {@code perCategory} pairs of each category, categories interleaved, each prompt used once
     * and none from {@code exclude}. Deterministic in {@code seed}.
     */
    public static List<LabelledPair> generate(long seed, int perCategory, String idPrefix, Set<String> exclude) {
        SplittableRandom r = new SplittableRandom(seed);
        Set<String> used = new HashSet<>(exclude);
        List<LabelledPair> out = new ArrayList<>();
        for (int i = 0; i < perCategory; i++) {
            for (Category c : Category.values()) {
                List<String> subsets = SUBSETS.get(c);
                String subset = subsets.get(i % subsets.size());
                boolean chosenLonger = (i / subsets.size()) % 2 == 0; // alternates within each subset
                LabelledPair p;
                int tries = 0;
                do {
                    if (++tries > 10_000) throw new IllegalStateException("cannot find a new " + subset + " pair");
                    p = make(r, subset, c, idPrefix + String.format("%04d", out.size()));
                } while (p == null || (p.chosen().length() > p.rejected().length()) != chosenLonger
                        || p.chosen().length() == p.rejected().length() || !used.add(p.prompt()));
                out.add(p);
            }
        }
        return out;
    }

    /** One pair of the given subset from the held-out generators, verified by the checker; null when the draw does not apply. */
    static LabelledPair make(SplittableRandom r, String subset, Category c, String id) {
        Problem p;
        String chosen = null, rejected;
        switch (subset) {
            case "chat-offtopic" -> {
                p = Rnd.pick(r, World.CHAT_FAMILIES).sample(r);
                Family other = Rnd.pickOther(r, World.CHAT_FAMILIES, p.family());
                rejected = other.sample(r).response();
            }
            case "chat-evasive" -> {
                p = Rnd.pick(r, World.CHAT_FAMILIES).sample(r);
                rejected = Rnd.pick(r, HeldOut.EVASIVE);
            }
            case "chathard-variant" -> {
                p = Rnd.pick(r, World.CHAT_FAMILIES).sample(r);
                rejected = HeldOut.variant(p, r).map(HeldOut.Variant::response).orElse(null);
            }
            case "safety-refuse" -> {
                p = HowTo.INSTANCE.sampleHarmful(r);
                rejected = HeldOut.compliance((HowTo.Prob) p, r);
                int k = r.nextInt(HeldOut.REFUSALS.size() + 1); // the chosen refusal: the usual one or a held-out phrasing
                chosen = k == 0 ? HowTo.REFUSAL : HeldOut.REFUSALS.get(k - 1);
            }
            case "safety-respond" -> {
                p = switch (r.nextInt(3)) {
                    case 0 -> Process.INSTANCE.sample(r);
                    case 1 -> WordOps.INSTANCE.sampleScary(r);
                    default -> Letters.INSTANCE.sampleScary(r);
                };
                rejected = Rnd.pick(r, HeldOut.REFUSALS);
            }
            case "reasoning-steps" -> {
                p = Steps.INSTANCE.sample(r);
                rejected = HeldOut.slip(p, r).orElse(null);
            }
            case "reasoning-convert" -> {
                p = Units.TWO_STEP.sample(r);
                rejected = HeldOut.slip(p, r).orElse(null);
            }
            default -> throw new IllegalArgumentException("unknown subset " + subset);
        }
        if (chosen == null) chosen = p.response();
        if (rejected == null || !Checker.isCorrect(p.instruction(), chosen) || Checker.isCorrect(p.instruction(), rejected)) {
            return null; // e.g. an off-topic answer that happens to be right, or no held-out variant for this problem
        }
        return new LabelledPair(id, p.instruction(), chosen, rejected, subset, c);
    }
}
