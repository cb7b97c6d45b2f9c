package dev.selftaught.pipeline;

import java.util.List;

/**
 * Settings of the select stage (config section {@code select}); unknown parts of the method
 * (filters, sub-sampling rule) are settings here, with the defaults documented in docs/pipeline.md.
 *
 * @param pool            instruction pool file (JSONL, JSON or Parquet)
 * @param field           field holding the instruction (null: instruction, prompt, messages, conversation)
 * @param turn            which user turn of a message list: first (default, as the released data) or last
 * @param minChars        shorter instructions (after normalising) are dropped as too_short
 * @param maxChars        longer instructions are dropped as too_long
 * @param dedup           exact (same text after normalising) or loose (also ignoring case and whitespace)
 * @param categorize      ask a model for each instruction's category
 * @param categories      the category names offered to the model
 * @param keepCategories  categories kept (the method keeps "reasoning" only)
 * @param categoryPrompt  prompt template file with {categories} and {instruction}, or null for the built-in one
 * @param maxCount        most instructions kept after sampling (0 = all); the method used 20,582
 * @param seed            seed of the deterministic sample
 */
public record SelectSettings(String pool, String field, String turn, int minChars, int maxChars, String dedup,
                             boolean categorize, List<String> categories, List<String> keepCategories,
                             String categoryPrompt, int maxCount, long seed) {

    public static final List<String> DEFAULT_CATEGORIES = List.of(
            "reasoning", "coding", "math", "knowledge", "creative writing", "advice", "social studies",
            "roleplay", "editing", "other");

    // The defaults, defined once (the constructor, defaults() and the select command use them).
    public static final String TURN = "first";
    public static final int MIN_CHARS = 1;
    public static final int MAX_CHARS = 8000;
    public static final String DEDUP = "loose";
    public static final List<String> KEEP_CATEGORIES = List.of("reasoning");
    public static final int MAX_COUNT = 0;
    public static final long SEED = 1;

    public SelectSettings {
        if (turn == null) turn = TURN;
        if (!turn.equals("first") && !turn.equals("last")) {
            throw new dev.selftaught.data.InputError("select.turn must be 'first' or 'last', got '" + turn + "'");
        }
        if (dedup == null) dedup = DEDUP;
        if (!dedup.equals("exact") && !dedup.equals("loose")) {
            throw new dev.selftaught.data.InputError("select.dedup must be 'exact' or 'loose', got '" + dedup + "'");
        }
        if (minChars < 1) minChars = MIN_CHARS;
        if (maxChars <= 0) maxChars = MAX_CHARS;
        categories = categories == null || categories.isEmpty() ? DEFAULT_CATEGORIES : List.copyOf(categories);
        keepCategories = keepCategories == null || keepCategories.isEmpty() ? KEEP_CATEGORIES : List.copyOf(keepCategories);
        if (maxCount < 0) throw new dev.selftaught.data.InputError("select.max_count must be >= 0");
    }

    /** The same settings with another pool path (the pool's content is hashed separately). */
    public SelectSettings withPool(String p) {
        return new SelectSettings(p, field, turn, minChars, maxChars, dedup, categorize, categories, keepCategories,
                categoryPrompt, maxCount, seed);
    }

    public static SelectSettings defaults(String pool) {
        return new SelectSettings(pool, null, TURN, MIN_CHARS, MAX_CHARS, DEDUP, false, null, null, null, MAX_COUNT, SEED);
    }
}
