package dev.selftaught.engine.tokenizer;

import java.util.List;
import java.util.Objects;

/**
 * A tokenizer's full vocabulary in a format-neutral form: what the GGUF, tokenizer.json and
 * tokenizer.model readers produce and what the writers consume.
 *
 * @param kind           the algorithm
 * @param tokens         token text by id. SentencePiece: pieces with "▁" for space and
 *                       {@code <0xXX>} byte pieces. Byte-level BPE: GPT-2 byte-to-unicode mapped
 *                       strings, except added (special) tokens which are their literal text.
 * @param scores         SentencePiece merge scores (higher merges first); for BPE may be zeros
 * @param types          {@link TokenType} per id
 * @param merges         byte-level BPE merges "left right" in rank order; empty for SentencePiece
 * @param bos            beginning-of-sequence id or -1
 * @param eos            end-of-sequence id or -1
 * @param unk            unknown id or -1
 * @param pad            padding id or -1
 * @param preTokenizer   byte-level BPE split regex (see {@link PreTokenizers}); null for SentencePiece
 * @param addBos         whether encoding normally starts with BOS
 * @param addSpacePrefix SentencePiece "add dummy prefix": a "▁" is put before the text
 * @param stopIds        ids that end generation besides EOS (e.g. Llama-3's {@code <|eot_id|>})
 */
public record Vocabulary(
        Kind kind,
        List<String> tokens,
        float[] scores,
        int[] types,
        List<String> merges,
        int bos,
        int eos,
        int unk,
        int pad,
        String preTokenizer,
        boolean addBos,
        boolean addSpacePrefix,
        int[] stopIds) {

    public enum Kind {
        /** SentencePiece BPE with byte fallback (GGUF model "llama"). */
        SENTENCEPIECE,
        /** GPT-2 style byte-level BPE with merges (GGUF model "gpt2"). */
        BYTE_LEVEL_BPE
    }

    public Vocabulary {
        Objects.requireNonNull(kind);
        tokens = List.copyOf(tokens);
        merges = merges == null ? List.of() : List.copyOf(merges);
        int n = tokens.size();
        if (scores == null) scores = new float[n];
        if (types == null) {
            types = new int[n];
            java.util.Arrays.fill(types, TokenType.NORMAL);
        }
        if (scores.length != n || types.length != n) {
            throw new IllegalArgumentException("vocabulary of " + n + " tokens has " + scores.length + " scores and " + types.length + " types");
        }
        for (int id : new int[] {bos, eos, unk, pad}) {
            if (id < -1 || id >= n) throw new IllegalArgumentException("special token id " + id + " outside vocabulary of " + n);
        }
        if (stopIds == null) stopIds = new int[0];
    }

    public int size() { return tokens.size(); }

    /** Builds a SentencePiece vocabulary from a llama2.c tokenizer (pieces and scores; ids 0,1,2 = unk, bos, eos). */
    public static Vocabulary fromLlama2c(List<String> pieces, float[] scores) {
        int n = pieces.size();
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            String p = pieces.get(i);
            if (i == 0) types[i] = TokenType.UNKNOWN;
            else if (i == 1 || i == 2) types[i] = TokenType.CONTROL;
            else if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) types[i] = TokenType.BYTE;
            else types[i] = TokenType.NORMAL;
        }
        // llama2.c's export wrote SentencePiece pieces with the word-start marker "▁" replaced by " ".
        List<String> sp = new java.util.ArrayList<>(pieces.stream().map(p -> p.replace(' ', '\u2581')).toList());
        // The export also wrapped BOS/EOS in newlines ("\n<s>\n"); other formats name them plainly.
        for (int i = 1; i <= 2 && i < n; i++) sp.set(i, pieces.get(i).strip());
        return new Vocabulary(Kind.SENTENCEPIECE, sp, scores.clone(), types, List.of(), n > 1 ? 1 : -1, n > 2 ? 2 : -1, 0, -1,
                null, true, true, new int[0]);
    }
}
