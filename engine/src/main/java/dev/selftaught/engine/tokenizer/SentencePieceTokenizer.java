package dev.selftaught.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * SentencePiece BPE with byte fallback (Llama-1/2, Mistral, TinyLlama...).
 *
 * <p>Encoding, as SentencePiece does it: normalise (put "▁" before the text when the model adds a
 * dummy prefix, write every space as "▁"), split into Unicode characters, then repeatedly merge
 * the adjacent pair whose concatenation is a normal piece with the highest score (the leftmost
 * on ties). Symbols left that are not pieces become their UTF-8 bytes as {@code <0xXX>} pieces.
 * Control pieces ({@code <s>}, {@code </s>}) are never produced from text.
 *
 * <p>Decoding: "▁" becomes a space, byte pieces their byte, control pieces nothing, and the single
 * leading space the dummy prefix introduced is dropped; bytes that are not valid UTF-8 become U+FFFD.
 */
public final class SentencePieceTokenizer implements Tokenizer {
    private static final char SPACE = '\u2581';

    private final Vocabulary vocab;
    private final Map<String, Integer> pieces = new HashMap<>();
    private final int[] byteIds = new int[256];
    private final byte[][] bytes;
    private final boolean removeExtraWhitespaces;
    private final int[] stopIds;
    private final String[] controls;
    private final int[] controlIds;

    public SentencePieceTokenizer(Vocabulary vocab) { this(vocab, false); }

    /** @param removeExtraWhitespaces SentencePiece's normaliser option: trim and collapse runs of spaces */
    public SentencePieceTokenizer(Vocabulary vocab, boolean removeExtraWhitespaces) {
        if (vocab.kind() != Vocabulary.Kind.SENTENCEPIECE) throw new IllegalArgumentException("not a SentencePiece vocabulary: " + vocab.kind());
        this.vocab = vocab;
        this.removeExtraWhitespaces = removeExtraWhitespaces;
        java.util.Arrays.fill(byteIds, -1);
        int n = vocab.size();
        bytes = new byte[n][];
        for (int i = 0; i < n; i++) {
            String p = vocab.tokens().get(i);
            int t = vocab.types()[i];
            if (t == TokenType.BYTE) {
                int b = parseByte(p);
                if (b >= 0) {
                    byteIds[b] = i;
                    bytes[i] = new byte[] {(byte) b};
                    continue;
                }
            }
            if (t == TokenType.NORMAL || t == TokenType.USER_DEFINED || t == TokenType.UNUSED) pieces.putIfAbsent(p, i);
            bytes[i] = t == TokenType.CONTROL ? new byte[0] : p.replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
        }
        List<String> ctl = new ArrayList<>();
        List<Integer> ctlIds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (vocab.types()[i] == TokenType.CONTROL && !vocab.tokens().get(i).isEmpty()) { ctl.add(vocab.tokens().get(i)); ctlIds.add(i); }
        }
        controls = ctl.toArray(String[]::new);
        controlIds = ctlIds.stream().mapToInt(Integer::intValue).toArray();
        java.util.LinkedHashSet<Integer> stops = new java.util.LinkedHashSet<>();
        if (vocab.eos() >= 0) stops.add(vocab.eos());
        for (int s : vocab.stopIds()) stops.add(s);
        stopIds = stops.stream().mapToInt(Integer::intValue).toArray();
    }

    static int parseByte(String p) {
        if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
            try { return Integer.parseInt(p.substring(3, 5), 16); } catch (NumberFormatException e) { return -1; }
        }
        return -1;
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        List<Integer> ids = new ArrayList<>();
        if (addBos && vocab.bos() >= 0) ids.add(vocab.bos());
        String t = removeExtraWhitespaces ? text.strip().replaceAll(" +", " ") : text;
        if (!t.isEmpty()) {
            String normalized = (vocab.addSpacePrefix() ? String.valueOf(SPACE) : "") + t.replace(' ', SPACE);
            List<String> symbols = new ArrayList<>(normalized.length());
            normalized.codePoints().forEach(cp -> symbols.add(Character.toString(cp)));
            float[] scores = vocab.scores();
            List<String> merged = BpeMerger.merge(symbols, (l, r) -> {
                Integer id = pieces.get(l + r);
                return id == null ? Double.NEGATIVE_INFINITY : scores[id];
            });
            for (String s : merged) {
                Integer id = pieces.get(s);
                if (id != null) {
                    ids.add(id);
                    continue;
                }
                for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                    int bid = byteIds[b & 0xFF];
                    ids.add(bid >= 0 ? bid : vocab.unk());
                }
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Control-token texts in the input (e.g. the {@code <s>} a Llama-2 chat template writes) become
     * their ids; the text between them is encoded as usual, each part with the dummy prefix as
     * llama.cpp does after a special token.
     */
    @Override
    public int[] encodeWithSpecials(String text, boolean addBos) {
        java.util.List<Integer> out = new ArrayList<>();
        if (addBos && vocab.bos() >= 0) out.add(vocab.bos());
        int start = 0;
        while (start < text.length()) {
            int best = -1, bestId = -1;
            for (int i = 0; i < controls.length; i++) {
                int at = text.indexOf(controls[i], start);
                if (at >= 0 && (best < 0 || at < best || (at == best && controls[i].length() > controls[bestId].length()))) { best = at; bestId = i; }
            }
            int end = best < 0 ? text.length() : best;
            if (end > start) for (int id : encode(text.substring(start, end), false)) out.add(id);
            if (best < 0) break;
            out.add(controlIds[bestId]);
            start = best + controls[bestId].length();
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int[] ids) {
        Utf8.Bytes out = new Utf8.Bytes();
        for (int id : ids) out.add(tokenBytes(id));
        String s = out.text();
        return vocab.addSpacePrefix() && s.startsWith(" ") ? s.substring(1) : s;
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= bytes.length) throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + bytes.length);
        return bytes[id];
    }

    @Override
    public byte[] streamBytes(int previousId, int id) {
        byte[] b = tokenBytes(id);
        boolean first = previousId < 0 || previousId == vocab.bos();
        if (first && vocab.addSpacePrefix() && b.length > 0 && b[0] == ' ') return java.util.Arrays.copyOfRange(b, 1, b.length);
        return b;
    }

    @Override public int vocabSize() { return vocab.size(); }
    @Override public int bos() { return vocab.bos(); }
    @Override public int eos() { return vocab.eos(); }
    @Override public int[] stopIds() { return stopIds.clone(); }
    @Override public Optional<Vocabulary> vocabulary() { return Optional.of(vocab); }

    /** The piece text of an id (with "▁"), for tests and tools. */
    public String piece(int id) { return vocab.tokens().get(id); }

    /** The id of a piece, or -1. */
    public int id(String piece) {
        for (int i = 0; i < vocab.size(); i++) if (vocab.tokens().get(i).equals(piece)) return i;
        return -1;
    }
}
