package dev.selftaught.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bootstrap against independent oracles: the exact bootstrap distribution (a subset of 0/1
 * scores resamples as a binomial, so the distribution of any weighted combination is a finite
 * enumeration), and the normal approximation on large samples.
 */
class BootstrapTest {

    static List<Bootstrap.ItemScore> subset(String name, String category, int n, int ones) {
        List<Bootstrap.ItemScore> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new Bootstrap.ItemScore(name + "/" + i, name, category, i < ones ? 1.0 : 0.0));
        return out;
    }

    static double binom(int n, int k, double p) {
        double logC = 0;
        for (int i = 1; i <= k; i++) logC += Math.log(n - k + i) - Math.log(i);
        return Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p));
    }

    /** Exact quantile of a discrete distribution: the smallest value whose CDF reaches q. */
    static double exactQuantile(TreeMap<Double, Double> dist, double q) {
        double c = 0;
        for (var e : dist.entrySet()) {
            c += e.getValue();
            if (c >= q - 1e-12) return e.getKey();
        }
        return dist.lastKey();
    }

    @Test
    void oneSubsetMatchesTheExactBinomialBootstrap() {
        int n = 40, k = 28;
        Bootstrap.Estimate e = Bootstrap.estimate(subset("s", null, n, k));
        assertEquals(0.7, e.overall(), 1e-12);
        assertEquals("items", e.basis());
        TreeMap<Double, Double> dist = new TreeMap<>();
        for (int j = 0; j <= n; j++) dist.put((double) j / n, binom(n, j, (double) k / n));
        double lo = exactQuantile(dist, 0.025), hi = exactQuantile(dist, 0.975);
        // Monte Carlo percentiles of a distribution on a 1/40 grid land on or next to the exact atom.
        assertEquals(lo, e.overallCi().lo(), 1.0 / n + 1e-9, "lower bound vs exact " + lo);
        assertEquals(hi, e.overallCi().hi(), 1.0 / n + 1e-9, "upper bound vs exact " + hi);
        assertEquals(e.overallCi(), e.subsetCi().get("s"));
    }

    @Test
    void rewardBenchWeightsAndMeanOfCategoriesHoldInsideEveryResample() {
        // Reasoning = (984·math-prm + 164·hep-python) / 1148; Chat = alpacaeval-easy; overall = their mean.
        int n = 20;
        List<Bootstrap.ItemScore> items = new ArrayList<>();
        items.addAll(subset("math-prm", null, n, 10));
        items.addAll(subset("hep-python", null, n, 18));
        items.addAll(subset("alpacaeval-easy", "ignored: RewardBench subsets keep their category", n, 16));
        Bootstrap.Estimate e = Bootstrap.estimate(items);
        double reasoning = (984 * 0.5 + 164 * 0.9) / 1148;
        assertEquals(reasoning, e.categories().get("Reasoning"), 1e-12);
        assertEquals(0.8, e.categories().get("Chat"), 1e-12);
        assertEquals((reasoning + 0.8) / 2, e.overall(), 1e-12);
        assertEquals(List.of("Chat", "Reasoning"), List.copyOf(e.categories().keySet()));

        // Exact bootstrap distribution of overall: three independent binomials, enumerated.
        TreeMap<Double, Double> overall = new TreeMap<>(), reason = new TreeMap<>();
        for (int a = 0; a <= n; a++) {
            for (int b = 0; b <= n; b++) {
                double pab = binom(n, a, 0.5) * binom(n, b, 0.9);
                double r = (984.0 * a / n + 164.0 * b / n) / 1148;
                reason.merge(Math.round(r * 1e9) / 1e9, pab, Double::sum);
                for (int c = 0; c <= n; c++) {
                    overall.merge(Math.round((r + (double) c / n) / 2 * 1e9) / 1e9, pab * binom(n, c, 0.8), Double::sum);
                }
            }
        }
        assertEquals(exactQuantile(overall, 0.025), e.overallCi().lo(), 0.012);
        assertEquals(exactQuantile(overall, 0.975), e.overallCi().hi(), 0.012);
        assertEquals(exactQuantile(reason, 0.025), e.categoryCi().get("Reasoning").lo(), 0.03);
        assertEquals(exactQuantile(reason, 0.975), e.categoryCi().get("Reasoning").hi(), 0.03);
        // Math weighs 984/1148 of Reasoning: its interval is about 0.86 of math-prm's, wider than hep-python's.
        assertEquals(984.0 / 1148 * e.subsetCi().get("math-prm").width(), e.categoryCi().get("Reasoning").width(), 0.05);
        assertTrue(e.categoryCi().get("Reasoning").width() > e.subsetCi().get("hep-python").width());
    }

    @Test
    void largeSampleAgreesWithTheNormalApproximation() {
        SplittableRandom r = new SplittableRandom(7);
        int n = 4000;
        List<Bootstrap.ItemScore> items = new ArrayList<>();
        double sum = 0, sq = 0;
        for (int i = 0; i < n; i++) {
            double s = r.nextDouble() < 0.1 ? 0.5 : r.nextDouble() < 0.7 ? 1 : 0;
            items.add(new Bootstrap.ItemScore("i" + i, "all", null, s));
            sum += s;
            sq += s * s;
        }
        double mean = sum / n, sd = Math.sqrt(sq / n - mean * mean);
        Bootstrap.Estimate e = Bootstrap.estimate(items);
        assertEquals(mean, e.overall(), 1e-12);
        double half = 1.959964 * sd / Math.sqrt(n);
        assertEquals(mean - half, e.overallCi().lo(), 0.1 * half);
        assertEquals(mean + half, e.overallCi().hi(), 0.1 * half);
    }

    @Test
    void pairedIntervalIsNarrowerThanUnpairedForCorrelatedJudgesAndMatchesTheDifferenceOfMeans() {
        SplittableRandom r = new SplittableRandom(11);
        int n = 1000;
        List<Bootstrap.ItemScore> a = new ArrayList<>(), b = new ArrayList<>();
        double dSum = 0, dSq = 0;
        for (int i = 0; i < n; i++) {
            double base = r.nextDouble() < 0.6 ? 1 : 0;
            double judge = r.nextDouble() < 0.9 ? base : 1 - base; // agrees with the base on ~90% of items
            if (base == 0 && r.nextDouble() < 0.1) judge = 1;     // and fixes a few of its errors
            a.add(new Bootstrap.ItemScore("x" + i, "all", null, judge));
            b.add(new Bootstrap.ItemScore("x" + i, "all", null, base));
            dSum += judge - base;
            dSq += (judge - base) * (judge - base);
        }
        Bootstrap.Estimate ea = Bootstrap.estimate(a), eb = Bootstrap.estimate(b);
        Bootstrap.Estimate d = Bootstrap.paired(a, b);
        assertEquals(ea.overall() - eb.overall(), d.overall(), 1e-12);
        double unpaired = Math.sqrt(Math.pow(ea.overallCi().width(), 2) + Math.pow(eb.overallCi().width(), 2));
        assertTrue(d.overallCi().width() < 0.75 * unpaired, "paired " + d.overallCi().width() + " vs unpaired " + unpaired);
        double mean = dSum / n, sd = Math.sqrt(dSq / n - mean * mean), half = 1.959964 * sd / Math.sqrt(n);
        assertEquals(mean - half, d.overallCi().lo(), 0.12 * half);
        assertEquals(mean + half, d.overallCi().hi(), 0.12 * half);
    }

    @Test
    void identicalJudgesDifferByExactlyZeroAndResultsAreDeterministic() {
        List<Bootstrap.ItemScore> a = new ArrayList<>(subset("chat-x", "Chat", 30, 20));
        a.addAll(subset("hard-y", "Chat Hard", 30, 12));
        Bootstrap.Estimate d = Bootstrap.paired(a, a);
        assertEquals(new Bootstrap.Interval(0, 0), d.overallCi());
        assertEquals(Bootstrap.estimate(a), Bootstrap.estimate(new ArrayList<>(a)));
        // Two identical replicates: the mean difference is the single replicate's.
        List<Bootstrap.ItemScore> better = new ArrayList<>(subset("chat-x", "Chat", 30, 25));
        better.addAll(subset("hard-y", "Chat Hard", 30, 20));
        Bootstrap.Estimate one = Bootstrap.paired(better, a);
        Bootstrap.Estimate two = Bootstrap.meanDifference(List.of(better, better), List.of(a, a));
        assertEquals(one.overall(), two.overall(), 1e-12);
        assertEquals(one.overallCi().lo(), two.overallCi().lo(), 0.035); // other draws, same distribution
        assertEquals(one.overallCi().hi(), two.overallCi().hi(), 0.035);
        assertTrue(one.overallCi().excludesZero(), one.overallCi().toString());
    }

    @Test
    void columnCategoriesWeighSubsetsByItemsAndMismatchedItemsAreRefused() {
        List<Bootstrap.ItemScore> a = new ArrayList<>(subset("chat-x", "Chat", 10, 10));
        a.addAll(subset("chat-z", "Chat", 30, 0));
        a.addAll(subset("hard-y", "Chat Hard", 20, 10));
        Bootstrap.Estimate e = Bootstrap.estimate(a);
        assertEquals(0.25, e.categories().get("Chat"), 1e-12); // 10 of 40 items, not (1 + 0) / 2
        assertEquals((0.25 + 0.5) / 2, e.overall(), 1e-12);
        assertEquals("categories", e.basis());
        assertThrows(IllegalArgumentException.class, () -> Bootstrap.paired(a, a.subList(0, 30)));
    }

    @Test
    void readsItemScoresFromJudgmentsKeepingBothOrdersOfAnItemTogether(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("judgments.jsonl");
        Files.writeString(f, """
                {"id":"a","subset":"s","category":"Chat","order":"chosen_A","score":1.0}
                {"id":"a","subset":"s","category":"Chat","order":"chosen_B","score":0.0}
                {"id":"b","subset":"s","category":"Chat","order":"chosen_A","score":1.0}
                {"id":"b","subset":"s","category":"Chat","order":"chosen_B","score":1.0}
                {"id":"c","subset":"t","judged":false,"score":0.5}
                """);
        List<Bootstrap.ItemScore> items = Bootstrap.readItems(f);
        assertEquals(List.of(new Bootstrap.ItemScore("a", "s", "Chat", 0.5), new Bootstrap.ItemScore("b", "s", "Chat", 1.0),
                new Bootstrap.ItemScore("c", "t", null, 0.5)), items);
        Files.writeString(f, "{\"id\":\"a\",\"subset\":\"s\"}\n");
        assertThrows(dev.selftaught.data.InputError.class, () -> Bootstrap.readItems(f));
    }

    @Test
    void evalResultCarriesIntervalsAndCategoriesFromTheCategoryColumn() {
        List<ItemResult> results = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            PairwiseItem it = new PairwiseItem("i" + i, List.of(dev.selftaught.data.ChatMessage.user("q")), "w", "l",
                    i < 10 ? "sub-a" : "sub-b", i < 10 ? "Chat" : "Safety");
            results.add(new ItemResult(it, List.of(), i % 2 == 0 ? 1.0 : 0.0, null));
        }
        EvalResult r = EvalResult.of(results, EvalOptions.defaults());
        assertEquals(Map.of("Chat", 0.5, "Safety", 0.5), r.categories());
        assertEquals("categories", r.overallBasis());
        var m = r.metricsJson("j", "b");
        assertEquals(2, m.at("/ci95/overall").size());
        assertTrue(m.at("/ci95/overall/0").asDouble() < 0.5 && m.at("/ci95/overall/1").asDouble() > 0.5);
        assertTrue(m.at("/ci95/categories/Chat").isArray());
        assertTrue(m.at("/ci95/subsets/sub-b").isArray());
        assertTrue(m.get("ci_method").asText().contains("2000 resamples"));
        assertNull(EvalResult.of(List.of(), EvalOptions.defaults()).intervals());
    }
}
