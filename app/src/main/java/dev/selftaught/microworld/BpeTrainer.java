package dev.selftaught.microworld;

import dev.selftaught.engine.llama2c.Llama2cTokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a small byte-pair vocabulary on sample text and returns it as a llama2.c tokenizer
 * (the format the engine reads beside a llama2.c checkpoint).
 *
 * <p>Layout: ids 0–2 {@code <unk>}, {@code <s>}, {@code </s>}; ids 3–258 the byte-fallback
 * tokens {@code <0x00>}..{@code <0xFF>}; then every character of the sample; then merged pieces
 * with score {@code -rank}, so the engine's run.c merge rule (highest score first) replays the
 * training merges in order. Merges may cross spaces, so the prompts' long fixed markers become a
 * few tokens each, but never a line or sentence end (see {@link #allowed}), and no piece ever contains a digit: numbers stay one token per digit, which
 * keeps arithmetic learnable for a tiny model. Training is deterministic (ties broken by the
 * smaller pair of ids).
 */
public final class BpeTrainer {
    /** Longest piece, in bytes. */
    static final int MAX_PIECE_BYTES = 48;

    private BpeTrainer() {}

    /**
     * @param docs      sample documents (each encoded with the dummy-prefix space the encoder adds)
     * @param vocabSize total vocabulary size wanted (fewer if the sample runs out of pairs)
     */
    public static Llama2cTokenizer train(List<String> docs, int vocabSize) {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) pieces.add(String.format("<0x%02X>", b));
        Map<String, Integer> ids = new HashMap<>();
        // single characters, in code point order for determinism
        int[] cps = docs.stream().flatMapToInt(String::codePoints).distinct().sorted().toArray();
        List<String> chars = new ArrayList<>();
        chars.add(" ");
        for (int cp : cps) if (cp != ' ') chars.add(new String(Character.toChars(cp)));
        for (String c : chars) { ids.put(c, pieces.size()); pieces.add(c); }
        int firstChar = 259;

        // the sample as symbol ids, documents separated by -1
        int total = docs.stream().mapToInt(d -> d.codePointCount(0, d.length()) + 2).sum();
        int[] seq = new int[total];
        int n = 0;
        for (String d : docs) {
            seq[n++] = ids.get(" ");
            for (int i = 0; i < d.length(); ) {
                int cp = d.codePointAt(i);
                seq[n++] = ids.get(new String(Character.toChars(cp)));
                i += Character.charCount(cp);
            }
            seq[n++] = -1;
        }
        int cap = Math.max(vocabSize, pieces.size());
        boolean[] hasDigit = new boolean[cap];
        for (int i = firstChar; i < pieces.size(); i++) hasDigit[i] = pieces.get(i).chars().anyMatch(Character::isDigit);
        boolean[] banned = new boolean[cap * cap]; // pairs whose piece would be too long

        List<Float> scores = new ArrayList<>();
        for (int i = 0; i < pieces.size(); i++) scores.add(i < firstChar ? 0f : -1e6f);
        int[] counts = new int[cap * cap];
        int rank = 0;
        while (pieces.size() < vocabSize) {
            Arrays.fill(counts, 0);
            for (int i = 0; i + 1 < n; i++) {
                int a = seq[i], b = seq[i + 1];
                if (a < 0 || b < 0 || hasDigit[a] || hasDigit[b]) continue;
                counts[a * cap + b]++;
            }
            int best = -1, bestCount = 1; // a pair seen once is not worth a token
            for (int k = 0; k < counts.length; k++) {
                if (counts[k] > bestCount && !banned[k]) { best = k; bestCount = counts[k]; }
            }
            if (best < 0) break;
            int a = best / cap, b = best % cap;
            String merged = pieces.get(a) + pieces.get(b);
            if (!allowed(merged)) { banned[best] = true; continue; }
            Integer existing = ids.get(merged);
            if (existing != null) { n = replace(seq, n, a, b, existing); continue; } // same string by another path
            int id = pieces.size();
            pieces.add(merged);
            ids.put(merged, id);
            scores.add((float) -(rank++));
            n = replace(seq, n, a, b, id);
        }
        float[] sc = new float[scores.size()];
        for (int i = 0; i < sc.length; i++) sc[i] = scores.get(i);
        int maxLen = pieces.stream().mapToInt(p -> p.getBytes(StandardCharsets.UTF_8).length).max().orElse(1);
        return new Llama2cTokenizer(pieces.toArray(String[]::new), sc, maxLen);
    }

    /**
     * Whether a merged piece may enter the vocabulary: not too long, a newline only at its end, and
     * no sentence boundary inside, so that a response never fuses with the marker after it and
     * each part of a judgment ("A: wrong", ".", " [[B]]") stays its own decision.
     */
    static boolean allowed(String piece) {
        if (piece.getBytes(StandardCharsets.UTF_8).length > MAX_PIECE_BYTES) return false;
        int nl = piece.indexOf('\n');
        if (nl >= 0 && nl != piece.length() - 1) return false;
        for (String boundary : new String[] {". ", "? ", "! ", ".\n", "?\n"}) {
            if (piece.contains(boundary)) return false;
        }
        return !piece.contains("[[") || piece.strip().startsWith("[[");
    }

    /** Replaces every non-overlapping (a, b), left to right, by {@code id}; returns the new length. */
    private static int replace(int[] seq, int n, int a, int b, int id) {
        int w = 0;
        for (int i = 0; i < n; i++) {
            if (i + 1 < n && seq[i] == a && seq[i + 1] == b) { seq[w++] = id; i++; }
            else seq[w++] = seq[i];
        }
        return w;
    }
}
