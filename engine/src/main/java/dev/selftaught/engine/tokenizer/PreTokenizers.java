package dev.selftaught.engine.tokenizer;

import java.util.Set;

/**
 * The split regexes byte-level BPE tokenizers apply before BPE, and their GGUF names
 * ({@code tokenizer.ggml.pre}). Patterns are Java regexes equivalent to the published ones
 * (compiled with {@link java.util.regex.Pattern#UNICODE_CHARACTER_CLASS} so that {@code \s}
 * means Unicode whitespace, as in the Python/Rust originals).
 */
public final class PreTokenizers {
    private PreTokenizers() {}

    /** GPT-2: contractions, optional space + letters / numbers / other, whitespace runs. */
    public static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Llama-3: case-insensitive contractions, numbers in groups of up to 3, newlines kept apart. */
    public static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Qwen2: as Llama-3 but single digits. */
    public static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Pattern for a GGUF {@code tokenizer.ggml.pre} name (unknown names fall back to GPT-2's). */
    public static String forGgufName(String name) {
        if (name == null) return GPT2;
        return switch (name) {
            case "llama3", "llama-v3", "llama-bpe", "smaug-bpe" -> LLAMA3;
            case "qwen2", "deepseek-r1-qwen" -> QWEN2;
            default -> GPT2;
        };
    }

    /** GGUF name for a pattern. */
    public static String ggufName(String pattern) {
        if (LLAMA3.equals(pattern)) return "llama-bpe";
        if (QWEN2.equals(pattern)) return "qwen2";
        return "gpt2";
    }

    private static final Set<String> END_OF_TURN = Set.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|endoftext|>", "<|end_of_text|>", "<end_of_turn>", "<|end|>");

    /** Whether a special token's text conventionally ends an assistant turn. */
    public static boolean isEndOfTurn(String token) { return END_OF_TURN.contains(token); }
}
