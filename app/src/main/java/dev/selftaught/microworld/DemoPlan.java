package dev.selftaught.microworld;

import java.util.Map;

/**
 * The sizes and settings of one demo: how big the world, the benchmark and each stage are.
 *
 * @param recipe          the seed model
 * @param pool            instructions in the pool (before selection)
 * @param testPerCategory micro-benchmark pairs per category (a prefix of the fixed test split)
 * @param valPerCategory  validation pairs per category (a prefix of the fixed validation split)
 * @param samples         judgments sampled per pair and order when annotating (the paper: 15)
 * @param majorityK       samples per item for the majority-vote row
 * @param judgeTokens     most tokens of one judgment
 * @param pairTokens      most tokens of one generated answer (y_w) and of one modified instruction + answer (x', y_l)
 * @param train           embedded trainer settings for every round; {@code save_epochs} saves intermediate
 *                        checkpoints that checkpoint selection compares on the validation split
 */
public record DemoPlan(SeedRecipe recipe, int pool, int testPerCategory, int valPerCategory, int samples, int majorityK,
                       int judgeTokens, int pairTokens, Map<String, Object> train) {

    public static DemoPlan standard() {
        return new DemoPlan(SeedRecipe.large(), 600, Benchmark.TEST_PER_CATEGORY, Benchmark.VALIDATION_PER_CATEGORY,
                15, 32, 40, 80, Map.of("lr", 2e-3, "epochs", 10, "batch_tokens", 4096, "warmup", 5, "seed", 1,
                        "save_epochs", 2));
    }

    /**
     * A smaller world and one round on the standard seed (CI): the standard seed pre-trains in
     * about a minute on 2 idle cores, the large one of the full demo in about ten.
     */
    public static DemoPlan quick() {
        return new DemoPlan(SeedRecipe.standard(), 160, 25, 10, 4, 3, 40, 80,
                Map.of("lr", 2e-3, "epochs", 15, "batch_tokens", 2048, "warmup", 5, "seed", 1, "save_epochs", 5));
    }

    /** The same plan with another seed recipe. */
    public DemoPlan withRecipe(SeedRecipe r) {
        return new DemoPlan(r, pool, testPerCategory, valPerCategory, samples, majorityK, judgeTokens, pairTokens, train);
    }
}
