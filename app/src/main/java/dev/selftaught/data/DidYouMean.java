package dev.selftaught.data;

import java.util.Collection;
import java.util.Optional;

/**
 * The known key nearest to a misspelt one, for "unknown key" messages: the smallest edit distance
 * (insertions, deletions, substitutions and swaps of two neighbouring characters, case ignored),
 * suggested only when close enough to be a typo rather than another word: at most one edit for
 * keys of up to four characters, two up to eight, three beyond.
 */
public final class DidYouMean {
    private DidYouMean() {}

    /** The closest known key when it is plausibly what was meant; ties go to the earlier key. */
    public static Optional<String> nearest(String key, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(key.toLowerCase(java.util.Locale.ROOT), k.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return best != null && bestDistance > 0 && bestDistance <= allowed(key.length()) ? Optional.of(best) : Optional.empty();
    }

    /** "; did you mean 'samples'?" or, with no close key, "; known keys here: a, b, c". */
    public static String hint(String key, Collection<String> known) {
        return nearest(key, known).map(k -> "; did you mean '" + k + "'?")
                .orElseGet(() -> known.isEmpty() ? "" : "; known keys here: " + String.join(", ", known.stream().sorted().toList()));
    }

    private static int allowed(int length) {
        return length <= 4 ? 1 : length <= 8 ? 2 : 3;
    }

    /** Optimal-string-alignment distance: Levenshtein plus the swap of two adjacent characters. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
