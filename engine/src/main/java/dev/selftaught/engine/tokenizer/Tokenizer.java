package dev.selftaught.engine.tokenizer;

/**
 * Text to token ids and back. Implementations: llama2.c {@code tok*.bin} vocabularies,
 * SentencePiece BPE with byte fallback, byte-level BPE from {@code tokenizer.json}.
 */
public interface Tokenizer {
    /** Encodes text; a BOS id is prepended when {@code addBos} is true and the vocabulary has one. */
    int[] encode(String text, boolean addBos);

    /**
     * Encodes text in which special-token strings (e.g. {@code <|eot_id|>}) are mapped to their
     * ids instead of being split as ordinary text. Default: same as {@link #encode}.
     */
    default int[] encodeWithSpecials(String text, boolean addBos) { return encode(text, addBos); }

    /** Decodes ids to text; invalid UTF-8 byte sequences become U+FFFD. Special tokens are kept as their text. */
    String decode(int[] ids);

    /**
     * Raw bytes of one token as it appears in a decoded stream (for streaming decode and stop
     * strings). For byte-fallback tokens this is the single byte.
     */
    byte[] tokenBytes(int id);

    /**
     * Bytes that token {@code id} adds to a decoded stream when it follows {@code previousId}
     * ({@code -1} at the start of the stream). Used by the generator to build completion text
     * token by token. SentencePiece vocabularies drop the dummy-prefix space of the first piece
     * (at the start or right after BOS) and control tokens add nothing. Default: {@link #tokenBytes}.
     */
    default byte[] streamBytes(int previousId, int id) { return tokenBytes(id); }

    int vocabSize();

    /** Beginning-of-sequence id, or -1 if none. */
    int bos();

    /** End-of-sequence id, or -1 if none. */
    int eos();

    /** Ids that end generation (EOS and e.g. Llama-3's {@code <|eot_id|>}). */
    default int[] stopIds() { return eos() < 0 ? new int[0] : new int[] {eos()}; }

    /**
     * The full vocabulary in a format-neutral form, for checkpoint writers (GGUF, tokenizer.json).
     * Empty when this tokenizer cannot export itself.
     */
    default java.util.Optional<Vocabulary> vocabulary() { return java.util.Optional.empty(); }
}
