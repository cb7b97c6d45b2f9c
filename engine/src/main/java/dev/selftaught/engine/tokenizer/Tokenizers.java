package dev.selftaught.engine.tokenizer;

/** Builds the right tokenizer for a vocabulary. */
public final class Tokenizers {
    private Tokenizers() {}

    public static Tokenizer fromVocabulary(Vocabulary v) {
        return switch (v.kind()) {
            case SENTENCEPIECE -> new SentencePieceTokenizer(v);
            case BYTE_LEVEL_BPE -> new ByteLevelBpeTokenizer(v);
        };
    }
}
