package dev.selftaught.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.InputError;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * 95% percentile-bootstrap intervals for benchmark scores, and paired intervals for the difference
 * between two judges scored on the same items.
 *
 * <p><b>What is resampled.</b> Items, with replacement, within each subset (a stratified bootstrap:
 * every subset keeps its size, as a benchmark's subsets have fixed sizes by design). An item is the
 * unit: its score is already the mean over the orders it was shown in, so both A/B orders of an
 * item always move together. Each replicate recomputes the scores exactly as the point estimate
 * does: subset accuracy = mean item score; a RewardBench category = its subsets' accuracies
 * weighted by {@link RewardBench#WEIGHTS} (math-prm 984, ...); a category from a file's
 * {@code category} column = the item-weighted mean of its subsets; overall = the unweighted mean
 * of the categories present, or the mean item score when no item has a category.
 *
 * <p><b>Paired.</b> The difference judge − base uses the same resampled items for both judges
 * (items matched by id). Every score above is linear in the item scores, so this equals the
 * bootstrap of the per-item score differences, which is how it is computed.
 *
 * <p><b>Deterministic.</b> {@link #RESAMPLES} replicates drawn from {@code SplittableRandom(}{@link #SEED}{@code )};
 * the interval is the 2.5th and 97.5th percentile of the replicate values (linear interpolation
 * between order statistics). The same inputs give the same interval on every machine.
 */
public final class Bootstrap {

    private Bootstrap() {}

    /** Bootstrap replicates per interval. */
    public static final int RESAMPLES = 2000;
    /** Seed of the resampling generator. */
    public static final long SEED = 20_240_805L;
    /** Coverage of every interval. */
    public static final double LEVEL = 0.95;
    /** One line for reports and metrics files. */
    public static final String METHOD = "95% percentile bootstrap over items (" + RESAMPLES + " resamples, seed " + SEED
            + "; items resampled within each subset, both orders of an item together; RewardBench category weights and "
            + "overall = mean of categories recomputed in every resample; differences paired: the same items for both judges)";

    /** A closed interval [lo, hi]. */
    public record Interval(double lo, double hi) {
        /** True when the whole interval lies on one side of zero (a difference outside the noise). */
        public boolean excludesZero() { return lo > 0 || hi < 0; }

        public double width() { return hi - lo; }

        public ArrayNode json(ObjectMapper m) {
            ArrayNode a = m.createArrayNode();
            a.add(lo);
            a.add(hi);
            return a;
        }

        /** Reads {@code [lo, hi]}; null when the node is not such a pair. */
        public static Interval of(JsonNode n) {
            if (n == null || !n.isArray() || n.size() != 2 || !n.get(0).isNumber() || !n.get(1).isNumber()) return null;
            return new Interval(n.get(0).asDouble(), n.get(1).asDouble());
        }
    }

    /**
     * One item's score as the scorer sees it.
     *
     * @param id       the item's id (pairs judges in a paired comparison)
     * @param subset   its subset (the resampling stratum)
     * @param category its category from a file's category column, or null (RewardBench subsets use theirs)
     * @param score    1, 0 or 0.5 per order, averaged over the orders judged
     */
    public record ItemScore(String id, String subset, String category, double score) {}

    /**
     * Point scores and their intervals. For a paired comparison every value is a difference.
     *
     * @param basis "categories" (overall = mean of the categories) or "items" (overall = mean item score)
     */
    public record Estimate(double overall, Interval overallCi, Map<String, Double> categories, Map<String, Interval> categoryCi,
                           Map<String, Double> subsets, Map<String, Interval> subsetCi, String basis) {
        public Estimate {
            categories = Collections.unmodifiableMap(new LinkedHashMap<>(categories));
            categoryCi = Collections.unmodifiableMap(new LinkedHashMap<>(categoryCi));
            subsets = Collections.unmodifiableMap(new LinkedHashMap<>(subsets));
            subsetCi = Collections.unmodifiableMap(new LinkedHashMap<>(subsetCi));
        }

        /** {@code {"overall": [lo, hi], "categories": {...}, "subsets": {...}}}. */
        public ObjectNode intervalsJson(ObjectMapper m) {
            ObjectNode o = m.createObjectNode();
            o.set("overall", overallCi.json(m));
            ObjectNode c = o.putObject("categories");
            categoryCi.forEach((k, v) -> c.set(k, v.json(m)));
            ObjectNode s = o.putObject("subsets");
            subsetCi.forEach((k, v) -> s.set(k, v.json(m)));
            return o;
        }
    }

    /** Items of an evaluation result. */
    public static List<ItemScore> items(List<ItemResult> results) {
        List<ItemScore> out = new ArrayList<>(results.size());
        for (ItemResult r : results) out.add(new ItemScore(r.item().id(), r.item().subset(), r.item().category(), r.score()));
        return out;
    }

    /** Point scores and intervals of one judge. */
    public static Estimate estimate(List<ItemScore> items) {
        return run(Layout.of(items), List.of(scoresById(items)), false);
    }

    /** The paired difference {@code judge − base}: both must hold the same item ids. */
    public static Estimate paired(List<ItemScore> judge, List<ItemScore> base) {
        return meanDifference(List.of(judge), List.of(base));
    }

    /**
     * The mean over replicates of the paired difference {@code judges[r] − bases[r]}, all scored on
     * the same items, with a two-level bootstrap: each resample draws the replicates (with
     * replacement) and the items (within subsets), and averages the drawn replicates' differences
     * on the drawn items. With one replicate this is {@link #paired}. With few replicates the
     * replicate level understates the spread by a factor (R−1)/R in variance.
     */
    public static Estimate meanDifference(List<List<ItemScore>> judges, List<List<ItemScore>> bases) {
        if (judges.isEmpty() || judges.size() != bases.size()) throw new IllegalArgumentException("need one base per judge");
        Layout layout = Layout.of(bases.getFirst());
        List<Map<String, Double>> diffs = new ArrayList<>();
        for (int r = 0; r < judges.size(); r++) {
            Map<String, Double> a = scoresById(judges.get(r)), b = scoresById(bases.get(r));
            if (!a.keySet().equals(b.keySet()) || !b.keySet().equals(layout.ids())) {
                throw new IllegalArgumentException("a paired comparison needs both judges scored on the same items ("
                        + a.size() + " and " + b.size() + " items, " + common(a, b) + " in common)");
            }
            Map<String, Double> d = new HashMap<>();
            a.forEach((id, v) -> d.put(id, v - b.get(id)));
            diffs.add(d);
        }
        return run(layout, diffs, judges.size() > 1);
    }

    private static int common(Map<String, Double> a, Map<String, Double> b) {
        int n = 0;
        for (String k : a.keySet()) if (b.containsKey(k)) n++;
        return n;
    }

    private static Map<String, Double> scoresById(List<ItemScore> items) {
        Map<String, Double> m = new HashMap<>();
        for (ItemScore s : items) {
            if (m.put(s.id(), s.score()) != null) throw new IllegalArgumentException("duplicate item id " + s.id());
        }
        return m;
    }

    /**
     * Runs the bootstrap: {@code units} are per-item values (one map per replicate); the
     * statistic is the layout's scoring applied to their mean over the drawn replicates.
     */
    private static Estimate run(Layout layout, List<Map<String, Double>> units, boolean resampleUnits) {
        int strata = layout.strata.size(), r = units.size();
        // values[u][s][i]: unit u, stratum s, item i
        double[][][] values = new double[r][strata][];
        for (int u = 0; u < r; u++) {
            for (int s = 0; s < strata; s++) {
                List<String> ids = layout.strata.get(s).ids;
                double[] v = new double[ids.size()];
                for (int i = 0; i < v.length; i++) v[i] = units.get(u).get(ids.get(i));
                values[u][s] = v;
            }
        }
        double[] sums = new double[strata];
        for (int s = 0; s < strata; s++) {
            for (int u = 0; u < r; u++) for (double x : values[u][s]) sums[s] += x / r;
        }
        double[] point = layout.stat(sums);
        double[][] reps = new double[point.length][RESAMPLES];
        SplittableRandom rng = new SplittableRandom(SEED);
        int[] drawnUnits = new int[r];
        for (int b = 0; b < RESAMPLES; b++) {
            for (int u = 0; u < r; u++) drawnUnits[u] = resampleUnits ? rng.nextInt(r) : u;
            for (int s = 0; s < strata; s++) {
                int n = values[0][s].length;
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    int k = rng.nextInt(n);
                    for (int u : drawnUnits) sum += values[u][s][k];
                }
                sums[s] = sum / r;
            }
            double[] v = layout.stat(sums);
            for (int j = 0; j < v.length; j++) reps[j][b] = v[j];
        }
        Interval[] ci = new Interval[point.length];
        for (int j = 0; j < point.length; j++) {
            Arrays.sort(reps[j]);
            ci[j] = new Interval(quantile(reps[j], (1 - LEVEL) / 2), quantile(reps[j], 1 - (1 - LEVEL) / 2));
        }
        Map<String, Double> cats = new LinkedHashMap<>(), subs = new LinkedHashMap<>();
        Map<String, Interval> catCi = new LinkedHashMap<>(), subCi = new LinkedHashMap<>();
        for (int c = 0; c < layout.categories.size(); c++) {
            cats.put(layout.categories.get(c).name, point[1 + c]);
            catCi.put(layout.categories.get(c).name, ci[1 + c]);
        }
        int off = 1 + layout.categories.size();
        for (int s = 0; s < strata; s++) {
            subs.put(layout.strata.get(s).subset, point[off + s]);
            subCi.put(layout.strata.get(s).subset, ci[off + s]);
        }
        return new Estimate(point[0], ci[0], cats, catCi, subs, subCi, layout.categories.isEmpty() ? "items" : "categories");
    }

    /** Type-7 quantile (linear interpolation between order statistics) of sorted values. */
    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /** The subsets (strata), the categories built from them and their weights. */
    private static final class Layout {
        record Stratum(String subset, List<String> ids) {}
        record Cat(String name, int[] strata, double[] weights) {}

        final List<Stratum> strata = new ArrayList<>();
        final List<Cat> categories = new ArrayList<>();
        int total;

        java.util.Set<String> ids() {
            java.util.Set<String> s = new java.util.HashSet<>();
            for (Stratum st : strata) s.addAll(st.ids);
            return s;
        }

        static Layout of(List<ItemScore> items) {
            Layout l = new Layout();
            Map<String, Integer> index = new LinkedHashMap<>();
            Map<String, String> columnCategory = new LinkedHashMap<>();
            for (ItemScore it : items) {
                Integer s = index.get(it.subset());
                if (s == null) {
                    s = l.strata.size();
                    index.put(it.subset(), s);
                    l.strata.add(new Stratum(it.subset(), new ArrayList<>()));
                }
                l.strata.get(s).ids.add(it.id());
                if (it.category() != null && RewardBench.categoryOf(it.subset()).isEmpty()) {
                    columnCategory.putIfAbsent(it.subset(), it.category());
                }
            }
            l.total = items.size();
            // RewardBench categories (fixed subset weights) in their order, then column categories
            // (subsets weighted by their item counts) in order of appearance.
            Map<String, List<Integer>> members = new LinkedHashMap<>();
            for (String cat : RewardBench.CATEGORIES.keySet()) members.put(cat, new ArrayList<>());
            for (var e : index.entrySet()) {
                Optional<String> rb = RewardBench.categoryOf(e.getKey());
                String cat = rb.orElse(columnCategory.get(e.getKey()));
                if (cat != null) members.computeIfAbsent(cat, k -> new ArrayList<>()).add(e.getValue());
            }
            for (var e : members.entrySet()) {
                if (e.getValue().isEmpty()) continue;
                int[] st = e.getValue().stream().mapToInt(Integer::intValue).toArray();
                double[] w = new double[st.length];
                for (int i = 0; i < st.length; i++) {
                    String subset = l.strata.get(st[i]).subset;
                    Integer fixed = RewardBench.categoryOf(subset).isPresent() ? RewardBench.WEIGHTS.get(subset) : null;
                    w[i] = fixed != null ? fixed : l.strata.get(st[i]).ids.size();
                }
                l.categories.add(new Cat(e.getKey(), st, w));
            }
            return l;
        }

        /** [overall, categories..., subsets...] from per-stratum sums of item values. */
        double[] stat(double[] sums) {
            double[] out = new double[1 + categories.size() + strata.size()];
            int off = 1 + categories.size();
            double all = 0;
            for (int s = 0; s < strata.size(); s++) {
                out[off + s] = sums[s] / strata.get(s).ids.size();
                all += sums[s];
            }
            double catSum = 0;
            for (int c = 0; c < categories.size(); c++) {
                Cat cat = categories.get(c);
                double num = 0, den = 0;
                for (int i = 0; i < cat.strata.length; i++) {
                    num += out[off + cat.strata[i]] * cat.weights[i];
                    den += cat.weights[i];
                }
                out[1 + c] = num / den;
                catSum += out[1 + c];
            }
            out[0] = categories.isEmpty() ? (total == 0 ? Double.NaN : all / total) : catSum / categories.size();
            return out;
        }
    }

    /**
     * Item scores from an evaluation's {@code judgments.jsonl} (one record per judged order, or one
     * per item not judged): each item's score is the mean of its records' scores.
     */
    public static List<ItemScore> readItems(Path judgments) {
        Map<String, double[]> acc = new LinkedHashMap<>();
        Map<String, String[]> meta = new HashMap<>();
        ObjectMapper m = new ObjectMapper();
        try (BufferedReader r = Files.newBufferedReader(judgments, StandardCharsets.UTF_8)) {
            String line;
            long no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                if (line.isBlank()) continue;
                JsonNode n = m.readTree(line);
                if (!n.path("id").isValueNode() || !n.path("subset").isTextual() || !n.path("score").isNumber()) {
                    throw InputError.at(judgments, no, "id/subset/score", "a judgment record needs id, subset and a numeric score");
                }
                String id = n.get("id").asText();
                acc.computeIfAbsent(id, k -> new double[2]);
                acc.get(id)[0] += n.get("score").asDouble();
                acc.get(id)[1]++;
                meta.putIfAbsent(id, new String[]{n.get("subset").asText(), n.path("category").isTextual() ? n.get("category").asText() : null});
            }
        } catch (IOException e) {
            throw new InputError(judgments + ": cannot read judgments (" + e.getMessage() + ")");
        }
        List<ItemScore> out = new ArrayList<>(acc.size());
        acc.forEach((id, a) -> out.add(new ItemScore(id, meta.get(id)[0], meta.get(id)[1], a[0] / a[1])));
        return out;
    }
}
