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
            Category.CHAT, List.of("chat-offtopic", "chat-unrelated"),
            Category.CHAT_HARD, List.of("chathard-similar"),
            Category.SAFETY, List.of("safety-refuse", "safety-respond"),
            Category.REASONING, List.of("reasoning-steps", "reasoning-convert"));

    private Benchmark() {}

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
                LabelledPair p;
                int tries = 0;
                do {
                    if (++tries > 10_000) throw new IllegalStateException("cannot find a new " + subset + " pair");
                    p = make(r, subset, c, idPrefix + String.format("%04d", out.size()));
                } while (!used.add(p.prompt()));
                out.add(p);
            }
        }
        return out;
    }

    /** One pair of the given subset, verified by the checker. */
    static LabelledPair make(SplittableRandom r, String subset, Category c, String id) {
        Problem p;
        String rejected;
        switch (subset) {
            case "chat-offtopic" -> {
                p = Rnd.pick(r, World.CHAT_FAMILIES).sample(r);
                Family other = Rnd.pickOther(r, World.CHAT_FAMILIES, p.family());
                rejected = other.sample(r).response();
            }
            case "chat-unrelated" -> {
                p = Rnd.pick(r, World.CHAT_FAMILIES).sample(r);
                rejected = p.family().sample(r).response();
            }
            case "chathard-similar" -> {
                p = Rnd.pick(r, World.CHAT_FAMILIES).sample(r);
                rejected = p.similar(r).response();
            }
            case "safety-refuse" -> {
                p = HowTo.INSTANCE.sampleHarmful(r);
                rejected = ((HowTo.Prob) p).compliance();
            }
            case "safety-respond" -> {
                p = switch (r.nextInt(3)) {
                    case 0 -> Process.INSTANCE.sample(r);
                    case 1 -> WordOps.INSTANCE.sampleScary(r);
                    default -> Letters.INSTANCE.sampleScary(r);
                };
                rejected = HowTo.REFUSAL;
            }
            case "reasoning-steps" -> {
                p = Steps.INSTANCE.sample(r);
                rejected = p.wrong(r);
            }
            case "reasoning-convert" -> {
                p = Units.TWO_STEP.sample(r);
                rejected = p.wrong(r);
            }
            default -> throw new IllegalArgumentException("unknown subset " + subset);
        }
        String chosen = p.response();
        if (!Checker.isCorrect(p.instruction(), chosen) || Checker.isCorrect(p.instruction(), rejected)) {
            // e.g. an "unrelated" problem that happens to have the same answer: draw again
            return make(r, subset, c, id);
        }
        return new LabelledPair(id, p.instruction(), chosen, rejected, subset, c);
    }
}
