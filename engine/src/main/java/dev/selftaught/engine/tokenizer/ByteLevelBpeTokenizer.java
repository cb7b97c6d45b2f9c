package dev.selftaught.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE (GPT-2, Llama-3, Qwen2): split the text with the pre-tokenizer regex, map each
 * piece's UTF-8 bytes to GPT-2's visible characters, then merge adjacent symbols by merge rank
 * (lowest rank first, leftmost on ties). Added tokens (types CONTROL and USER_DEFINED) are literal
 * text: user-defined ones are always matched in the input, control (special) ones only by
 * {@link #encodeWithSpecials}.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
    private final Vocabulary vocab;
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, Integer> ranks = new HashMap<>();
    private final Pattern split;
    private final boolean ignoreMerges;
    private final boolean nfc;
    private final byte[][] bytes;
    private final List<String> specials;     // control + user-defined, longest first
    private final List<String> userDefined;  // user-defined only, longest first
    private final int[] stopIds;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /** Defaults from the pre-tokenizer: Llama-3 ignores merges for whole-word hits, Qwen2 NFC-normalises. */
    public ByteLevelBpeTokenizer(Vocabulary vocab) {
        this(vocab, PreTokenizers.LLAMA3.equals(vocab.preTokenizer()), PreTokenizers.QWEN2.equals(vocab.preTokenizer()));
    }

    /**
     * @param ignoreMerges a pre-token that is itself in the vocabulary is emitted as is (HF's {@code ignore_merges})
     * @param nfc          NFC-normalise the text first (Qwen2's normaliser)
     */
    public ByteLevelBpeTokenizer(Vocabulary vocab, boolean ignoreMerges, boolean nfc) {
        if (vocab.kind() != Vocabulary.Kind.BYTE_LEVEL_BPE) throw new IllegalArgumentException("not a byte-level BPE vocabulary: " + vocab.kind());
        this.vocab = vocab;
        this.ignoreMerges = ignoreMerges;
        this.nfc = nfc;
        this.split = Pattern.compile(vocab.preTokenizer() == null ? PreTokenizers.GPT2 : vocab.preTokenizer(), Pattern.UNICODE_CHARACTER_CLASS);
        int n = vocab.size();
        bytes = new byte[n][];
        List<String> sp = new ArrayList<>(), ud = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String t = vocab.tokens().get(i);
            int type = vocab.types()[i];
            boolean added = type == TokenType.CONTROL || type == TokenType.USER_DEFINED;
            if (added) {
                bytes[i] = t.getBytes(StandardCharsets.UTF_8);
                if (!t.isEmpty()) {
                    sp.add(t);
                    if (type == TokenType.USER_DEFINED) ud.add(t);
                }
            } else {
                byte[] b = ByteUnicode.decode(t);
                bytes[i] = b != null ? b : t.getBytes(StandardCharsets.UTF_8);
            }
            ids.putIfAbsent(t, i);
        }
        Comparator<String> longestFirst = Comparator.comparingInt(String::length).reversed();
        sp.sort(longestFirst);
        ud.sort(longestFirst);
        specials = List.copyOf(sp);
        userDefined = List.copyOf(ud);
        List<String> merges = vocab.merges();
        for (int r = 0; r < merges.size(); r++) {
            String m = merges.get(r);
            if (m.indexOf(' ') <= 0) throw new IllegalArgumentException("merge #" + r + " is not two tokens separated by a space: '" + m + "'");
            ranks.putIfAbsent(m, r);
        }
        java.util.LinkedHashSet<Integer> stops = new java.util.LinkedHashSet<>();
        if (vocab.eos() >= 0) stops.add(vocab.eos());
        for (int s : vocab.stopIds()) stops.add(s);
        stopIds = stops.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public int[] encode(String text, boolean addBos) { return encode(text, addBos, userDefined); }

    @Override
    public int[] encodeWithSpecials(String text, boolean addBos) { return encode(text, addBos, specials); }

    private int[] encode(String text, boolean addBos, List<String> literal) {
        IntList out = new IntList();
        if (addBos && vocab.bos() >= 0) out.add(vocab.bos());
        int start = 0;
        while (start < text.length()) {
            // Find the leftmost literal token occurrence (longest at that position).
            int best = -1;
            String bestTok = null;
            for (String s : literal) {
                int at = text.indexOf(s, start);
                if (at >= 0 && (best < 0 || at < best || (at == best && s.length() > bestTok.length()))) { best = at; bestTok = s; }
            }
            int end = best < 0 ? text.length() : best;
            if (end > start) encodeOrdinary(text.substring(start, end), out);
            if (best < 0) break;
            out.add(ids.get(bestTok));
            start = best + bestTok.length();
        }
        return out.toArray();
    }

    private void encodeOrdinary(String text, IntList out) {
        String t = nfc ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
        Matcher m = split.matcher(t);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) encodeWord(t.substring(last, m.start()), out); // text no pattern branch matched
            if (m.end() > m.start()) encodeWord(m.group(), out);
            last = m.end();
        }
        if (last < t.length()) encodeWord(t.substring(last), out);
    }

    private void encodeWord(String word, IntList out) {
        int[] cached = cache.get(word);
        if (cached == null) {
            cached = bpe(ByteUnicode.encode(word.getBytes(StandardCharsets.UTF_8)));
            if (cache.size() < 200_000) cache.put(word, cached);
        }
        out.addAll(cached);
    }

    private int[] bpe(String mapped) {
        if (ignoreMerges) {
            Integer whole = ids.get(mapped);
            if (whole != null) return new int[] {whole};
        }
        List<String> symbols = new ArrayList<>(mapped.length());
        for (int i = 0; i < mapped.length(); i++) symbols.add(String.valueOf(mapped.charAt(i)));
        List<String> merged = BpeMerger.merge(symbols, (l, r) -> {
            Integer rank = ranks.get(l + " " + r);
            return rank == null ? Double.NEGATIVE_INFINITY : -rank;
        });
        IntList out = new IntList();
        for (String s : merged) {
            Integer id = ids.get(s);
            if (id != null) { out.add(id); continue; }
            // A symbol outside the vocabulary (incomplete merges): fall back to its single bytes.
            for (int i = 0; i < s.length(); i++) {
                Integer b = ids.get(String.valueOf(s.charAt(i)));
                if (b != null) out.add(b);
                else if (vocab.unk() >= 0) out.add(vocab.unk());
                else throw new IllegalStateException("byte symbol '" + s.charAt(i) + "' is not in the vocabulary");
            }
        }
        return out.toArray();
    }

    @Override
    public String decode(int[] tokenIds) {
        Utf8.Bytes out = new Utf8.Bytes();
        for (int id : tokenIds) out.add(tokenBytes(id));
        return out.text();
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= bytes.length) throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + bytes.length);
        return bytes[id];
    }

    @Override public int vocabSize() { return vocab.size(); }
    @Override public int bos() { return vocab.bos(); }
    @Override public int eos() { return vocab.eos(); }
    @Override public int[] stopIds() { return stopIds.clone(); }
    @Override public Optional<Vocabulary> vocabulary() { return Optional.of(vocab); }

    /** Id of a token string (mapped form, or literal for added tokens), or -1. */
    public int id(String token) { return ids.getOrDefault(token, -1); }

    boolean ignoreMerges() { return ignoreMerges; }
    boolean nfc() { return nfc; }

    /** Minimal growable int list (avoids boxing in the hot path). */
    static final class IntList {
        int[] a = new int[16];
        int n;
        void add(int v) { if (n == a.length) a = Arrays.copyOf(a, n * 2); a[n++] = v; }
        void addAll(int[] v) { for (int x : v) add(x); }
        int[] toArray() { return Arrays.copyOf(a, n); }
    }
}
