package dev.selftaught.eval;

import dev.selftaught.data.InputError;

import java.util.Locale;

/** Where the chosen answer is shown to the judge. */
public enum Order {
    /** One random order per item, drawn from the seed and the item id (RewardBench's protocol). */
    RANDOM("random"),
    /** Both orders; the item scores the mean of the two, and position consistency is reported. */
    BOTH("both"),
    /** Chosen always shown as Assistant A. */
    FIXED_A("fixed"),
    /** Chosen always shown as Assistant B. */
    FIXED_B("fixed-b");

    private final String cliName;

    Order(String cliName) { this.cliName = cliName; }

    public String cliName() { return cliName; }

    public static Order named(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("fixed-a")) return FIXED_A;
        for (Order o : values()) if (o.cliName.equals(n)) return o;
        throw new InputError("unknown order '" + name + "'; use random, both, fixed (chosen as A) or fixed-b (chosen as B)");
    }

    /**
     * Whether the chosen answer goes to position A for an item in {@link #RANDOM} order: a fixed
     * function of (seed, id), so the same item gets the same order in every run and in any subset
     * of the benchmark. Equivalent to RAM's {@code is_shuffled = !chosenAsA}.
     */
    public static boolean randomChosenAsA(long seed, String id) {
        long z = seed * 0x9E3779B97F4A7C15L + id.hashCode() * 0xC2B2AE3D27D4EB4FL + id.length();
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z & 1L) == 0;
    }
}
