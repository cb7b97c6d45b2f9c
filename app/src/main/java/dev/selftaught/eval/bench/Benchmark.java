package dev.selftaught.eval.bench;

import dev.selftaught.eval.PairwiseItem;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A loaded pairwise benchmark.
 *
 * @param name    short name or file path it was loaded from
 * @param items   the pairs, in file order
 * @param skipped records read but not turned into a pair, counted by reason (e.g. PandaLM ties)
 */
public record Benchmark(String name, List<PairwiseItem> items, Map<String, Integer> skipped) {

    public Benchmark {
        items = List.copyOf(items);
        skipped = Map.copyOf(skipped);
    }

    public Benchmark(String name, List<PairwiseItem> items) { this(name, items, Map.of()); }

    /** Item counts per subset, in order of first appearance. */
    public Map<String, Integer> subsetCounts() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (PairwiseItem it : items) m.merge(it.subset(), 1, Integer::sum);
        return m;
    }

    /** Joins several benchmarks into one (names joined with '+', skip counts summed). */
    public static Benchmark concat(String name, List<Benchmark> parts) {
        var items = new java.util.ArrayList<PairwiseItem>();
        Map<String, Integer> skipped = new TreeMap<>();
        for (Benchmark b : parts) {
            items.addAll(b.items);
            b.skipped.forEach((k, v) -> skipped.merge(k, v, Integer::sum));
        }
        return new Benchmark(name, items, skipped);
    }

    /** The first {@code n} items (all when n <= 0). */
    public Benchmark limit(int n) {
        if (n <= 0 || n >= items.size()) return this;
        return new Benchmark(name, items.subList(0, n), skipped);
    }
}
