package dev.selftaught.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.AtomicFiles;
import dev.selftaught.data.Datasets;
import dev.selftaught.data.RecordWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of running a judge over a benchmark: every item's judgments and the metrics.
 * All scores are fractions in [0, 1].
 *
 * @param items               per-item results, in benchmark order
 * @param options             the options used
 * @param subsets             subset name → accuracy and item count (items not judged count, with 0.5)
 * @param categories          category scores for the categories present: RewardBench's (weighted subsets),
 *                            then those a pairwise file's {@code category} column names (item-weighted subsets)
 * @param overall             mean of the categories present; when no item has a category,
 *                            the plain mean item score over all items (see {@link #overallBasis})
 * @param overallBasis        "categories", "items" or "rewardbench2" (see {@link RewardBench2})
 * @param overallLeaderboard  leaderboard formula with prior sets, or null without prior sets
 * @param parseFailureRate    share of all judge samples without a verdict (NONE)
 * @param unresolvedRate      share of judgments whose final verdict is neither A nor B
 * @param positionConsistency with both orders: share of judged items correct in both orders; else null
 * @param accuracyChosenA     with both orders: mean score when chosen was shown as A; else null
 * @param accuracyChosenB     with both orders: mean score when chosen was shown as B; else null
 * @param notJudged           items not judged (too many turns), scored 0.5
 * @param samples             judge samples in total
 * @param intervals           the bootstrap estimate: 95% intervals of overall, every category and subset
 *                            ({@link Bootstrap}); null without items
 */
public record EvalResult(List<ItemResult> items, EvalOptions options, Map<String, SubsetScore> subsets,
                         Map<String, Double> categories, double overall, String overallBasis, Double overallLeaderboard,
                         double parseFailureRate, double unresolvedRate, Double positionConsistency,
                         Double accuracyChosenA, Double accuracyChosenB, int notJudged, int samples,
                         Bootstrap.Estimate intervals) {

    /** Accuracy and size of one subset. */
    public record SubsetScore(double accuracy, int n) {}

    public EvalResult {
        items = List.copyOf(items);
        subsets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(subsets));
        categories = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(categories));
    }

    /** Computes every metric from the per-item results. */
    public static EvalResult of(List<ItemResult> items, EvalOptions options) {
        Map<String, List<Double>> bySubset = new LinkedHashMap<>();
        int sampleCount = 0, noneSamples = 0, judgments = 0, unresolved = 0, notJudged = 0, judged = 0, consistent = 0;
        double sumA = 0, sumB = 0;
        int nA = 0, nB = 0;
        for (ItemResult r : items) {
            bySubset.computeIfAbsent(r.item().subset(), k -> new ArrayList<>()).add(r.score());
            if (!r.judged()) {
                notJudged++;
                continue;
            }
            judged++;
            if (r.consistentlyCorrect()) consistent++;
            for (Judgment j : r.judgments()) {
                judgments++;
                sampleCount += j.verdicts().size();
                noneSamples += (int) j.verdicts().stream().filter(v -> v == Verdict.NONE).count();
                if (!j.verdict().decisive()) unresolved++;
                if (j.chosenAsA()) { sumA += j.score(); nA++; } else { sumB += j.score(); nB++; }
            }
        }
        Map<String, SubsetScore> subsets = new LinkedHashMap<>();
        bySubset.forEach((name, scores) -> {
            double acc = RewardBench.accuracy(scores);
            subsets.put(name, new SubsetScore(acc, scores.size()));
        });
        // Categories and overall come from the bootstrap's scorer, so the point estimate and every
        // resample are computed by the same code (RewardBench weights, the category column).
        Bootstrap.Estimate est = items.isEmpty() ? null : Bootstrap.estimate(Bootstrap.items(items));
        Map<String, Double> categories = est == null ? Map.of() : est.categories();
        double overall = est == null ? Double.NaN : est.overall();
        String basis = est == null ? "items" : est.basis();
        RewardBench2.Scores rb2 = RewardBench2.score(items);
        if (rb2 != null) {
            // RewardBench 2 items are groups of pairwise comparisons: score the groups by its rules.
            // Its intervals would need a bootstrap over groups, which is not implemented: none are given.
            subsets.clear();
            rb2.subsets().forEach((k, v) -> subsets.put(k, new SubsetScore(v, rb2.items().get(k))));
            overall = rb2.overall();
            basis = "rewardbench2";
            est = null;
        }
        Double leaderboard = options.priorSets() != null && !categories.isEmpty()
                ? RewardBench.leaderboard(categories, options.priorSets()) : null;
        boolean both = options.order() == Order.BOTH;
        return new EvalResult(items, options, subsets, categories, overall, basis, leaderboard,
                sampleCount == 0 ? 0 : (double) noneSamples / sampleCount,
                judgments == 0 ? 0 : (double) unresolved / judgments,
                both ? (judged == 0 ? Double.NaN : (double) consistent / judged) : null,
                both && nA > 0 ? sumA / nA : null, both && nB > 0 ? sumB / nB : null,
                notJudged, sampleCount, est);
    }

    /** The tie rule of majority voting, as written into metrics files. */
    public static final String VOTE_RULE = "unparsed samples do not vote; the verdict with strictly the most votes wins; "
            + "equal top counts or no votes give no verdict, scored 0.5";

    /** metrics.json content. */
    public ObjectNode metricsJson(String judge, String benchmark) {
        ObjectNode m = MAPPER.createObjectNode();
        m.put("judge", dev.selftaught.data.UrlUserInfo.redact(judge));
        m.put("benchmark", benchmark);
        m.put("seed", options.seed());
        m.put("order", options.order().cliName());
        m.put("samples", options.samples());
        if (options.sampled()) {
            m.put("temperature", options.temperature());
            m.put("top_p", options.topP());
            m.put("vote_rule", VOTE_RULE);
        } else {
            m.put("temperature", 0.0);
        }
        m.put("max_tokens", options.maxTokens());
        m.put("parse_rule", options.parseRule().cliName());
        m.put("template", options.prompts().describe());
        m.put("max_turns", options.maxTurns());
        m.put("n", items.size());
        ObjectNode subs = m.putObject("subsets");
        subsets.forEach((k, v) -> {
            ObjectNode s = subs.putObject(k);
            num(s, "accuracy", v.accuracy());
            s.put("n", v.n());
        });
        ObjectNode cats = m.putObject("categories");
        categories.forEach((k, v) -> num(cats, k, v));
        num(m, "overall", overall);
        RewardBench2.Scores rb2 = RewardBench2.score(items);
        if (rb2 != null) m.set("rewardbench2", rb2.json());
        m.put("overall_basis", overallBasis);
        if (intervals != null) {
            m.set("ci95", intervals.intervalsJson(MAPPER));
            m.put("ci_method", Bootstrap.METHOD);
        }
        if (overallLeaderboard != null) {
            num(m, "overall_leaderboard", overallLeaderboard);
            m.put("prior_sets", options.priorSets());
        }
        num(m, "parse_failure_rate", parseFailureRate);
        num(m, "unresolved_rate", unresolvedRate);
        if (positionConsistency != null) num(m, "position_consistency", positionConsistency);
        if (accuracyChosenA != null) num(m, "accuracy_chosen_a", accuracyChosenA);
        if (accuracyChosenB != null) num(m, "accuracy_chosen_b", accuracyChosenB);
        m.put("not_judged", notJudged);
        m.put("judge_samples", samples);
        return m;
    }

    /** One judgments.jsonl record per judgment (and one per item not judged). */
    public List<ObjectNode> judgmentRecords() {
        List<ObjectNode> out = new ArrayList<>();
        for (ItemResult r : items) {
            if (!r.judged()) {
                ObjectNode o = MAPPER.createObjectNode();
                o.put("id", r.item().id());
                o.put("subset", r.item().subset());
                if (r.item().category() != null) o.put("category", r.item().category());
                o.put("judged", false);
                o.put("reason", r.skipReason());
                o.put("score", r.score());
                out.add(o);
                continue;
            }
            for (Judgment j : r.judgments()) {
                ObjectNode o = MAPPER.createObjectNode();
                o.put("id", r.item().id());
                o.put("subset", r.item().subset());
                if (r.item().category() != null) o.put("category", r.item().category());
                o.put("order", j.chosenAsA() ? "chosen_A" : "chosen_B");
                o.put("is_shuffled", !j.chosenAsA());
                o.put("verdict", j.verdict().jsonName());
                o.put("score", j.score());
                ObjectNode votes = o.putObject("votes");
                for (Verdict v : Verdict.values()) votes.put(v.jsonName(), j.votes().getOrDefault(v, 0));
                ArrayNode samples = o.putArray("samples");
                for (int i = 0; i < j.texts().size(); i++) {
                    ObjectNode s = samples.addObject();
                    s.put("text", j.texts().get(i));
                    s.put("verdict", j.verdicts().get(i).jsonName());
                }
                out.add(o);
            }
        }
        return out;
    }

    /** Writes {@code dir/metrics.json} and {@code dir/judgments.jsonl}, each atomically. */
    public void writeTo(Path dir, String judge, String benchmark) {
        try {
            Files.createDirectories(dir);
            try (RecordWriter w = Datasets.writer(dir.resolve("judgments.jsonl"))) {
                for (ObjectNode o : judgmentRecords()) w.write(o);
                w.commit();
            }
            AtomicFiles.write(dir.resolve("metrics.json"),
                    MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(metricsJson(judge, benchmark)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write evaluation results to " + dir, e);
        }
    }

    private static void num(ObjectNode o, String field, double v) {
        if (Double.isNaN(v)) o.putNull(field);
        else o.put(field, v);
    }

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
}
