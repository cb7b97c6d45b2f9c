package dev.selftaught.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The BPE merge loop shared by SentencePiece and byte-level BPE: repeatedly merge the adjacent
 * pair with the best priority (ties: the leftmost pair), until no pair can merge. Runs in
 * O(n log n) with a priority queue over candidate pairs and a linked list of symbols.
 */
final class BpeMerger {
    private BpeMerger() {}

    /** Priority of merging two adjacent symbols; {@link Double#NEGATIVE_INFINITY} when they cannot merge. Higher merges first. */
    interface Scorer { double score(String left, String right); }

    private record Candidate(int left, int right, double score, int leftVersion, int rightVersion) {}

    static List<String> merge(List<String> symbols, Scorer scorer) {
        int n = symbols.size();
        if (n < 2) return symbols;
        String[] sym = symbols.toArray(String[]::new);
        int[] prev = new int[n], next = new int[n], version = new int[n];
        for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }
        PriorityQueue<Candidate> queue = new PriorityQueue<>((a, b) -> a.score != b.score ? Double.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < n; i++) offer(queue, scorer, sym, version, i, i + 1);
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            // Stale when either side has merged since the candidate was made.
            if (sym[c.left] == null || sym[c.right] == null || version[c.left] != c.leftVersion || version[c.right] != c.rightVersion || next[c.left] != c.right) continue;
            sym[c.left] = sym[c.left] + sym[c.right];
            version[c.left]++;
            sym[c.right] = null;
            int nx = next[c.right];
            next[c.left] = nx;
            if (nx >= 0) prev[nx] = c.left;
            if (prev[c.left] >= 0) offer(queue, scorer, sym, version, prev[c.left], c.left);
            if (nx >= 0) offer(queue, scorer, sym, version, c.left, nx);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i >= 0; i = next[i]) out.add(sym[i]);
        return out;
    }

    private static void offer(PriorityQueue<Candidate> q, Scorer scorer, String[] sym, int[] version, int l, int r) {
        double s = scorer.score(sym[l], sym[r]);
        if (s != Double.NEGATIVE_INFINITY) q.add(new Candidate(l, r, s, version[l], version[r]));
    }
}
