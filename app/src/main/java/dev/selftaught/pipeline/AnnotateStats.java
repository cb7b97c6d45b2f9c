package dev.selftaught.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a round's annotate stage did (round-i/stats.json): how the sampled judgments compared
 * with the gold label, what became of each pair-order (shown pair) in rejection sampling and
 * balancing, and, when DPO sets are built, what became of the preference candidates.
 *
 * <p>{@link #toJson()} gives the map stats.json holds (its key names are documented in
 * docs/pipeline.md and read by older tools); {@link #fromJson} reads it back.
 *
 * @param round       the round (1-based)
 * @param judge       identity of the judge that annotated
 * @param verdictRule the parse rule of the verdicts
 * @param samples     per sampled judgment
 * @param pairOrders  per pair-order
 * @param dpo         the DPO candidates, or null when no DPO set is built
 */
public record AnnotateStats(int round, String judge, String verdictRule, Samples samples, PairOrders pairOrders, Dpo dpo) {

    /** Per sampled judgment: its verdict against the gold label. */
    public record Samples(long total, long noVerdict, long tie, long wrong, long correct) {
        public Map<String, Long> toJson() {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("total", total);
            m.put("no_verdict", noVerdict);
            m.put("tie", tie);
            m.put("wrong", wrong);
            m.put("correct", correct);
            return m;
        }

        static Samples fromJson(Map<?, ?> m) {
            return new Samples(count(m, "total"), count(m, "no_verdict"), count(m, "tie"), count(m, "wrong"), count(m, "correct"));
        }
    }

    /**
     * Per pair-order (one pair in one order; order AB has gold A, order BA gold B): how many were
     * shown, dropped by rejection sampling (by reason), candidates per gold side, dropped by
     * balancing, and kept per gold side.
     */
    public record PairOrders(long total, long modelError, long noCorrect, long belowMajority, long candidatesA,
                             long candidatesB, long droppedByBalancing, long keptA, long keptB, long kept) {

        /** Why pair-orders were not kept, in the report's order (keys as in stats.json). */
        public Map<String, Long> dropped() {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("no_correct", noCorrect);
            m.put("below_majority", belowMajority);
            m.put("model_error", modelError);
            m.put("dropped_by_balancing", droppedByBalancing);
            return m;
        }

        public Map<String, Long> toJson() {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("total", total);
            m.put("model_error", modelError);
            m.put("no_correct", noCorrect);
            m.put("below_majority", belowMajority);
            m.put("candidates_A", candidatesA);
            m.put("candidates_B", candidatesB);
            m.put("dropped_by_balancing", droppedByBalancing);
            m.put("kept_A", keptA);
            m.put("kept_B", keptB);
            m.put("kept", kept);
            return m;
        }

        static PairOrders fromJson(Map<?, ?> m) {
            return new PairOrders(count(m, "total"), count(m, "model_error"), count(m, "no_correct"), count(m, "below_majority"),
                    count(m, "candidates_A"), count(m, "candidates_B"), count(m, "dropped_by_balancing"),
                    count(m, "kept_A"), count(m, "kept_B"), count(m, "kept"));
        }
    }

    /** The DPO candidates (spec §2.7): pair-orders without a positive or a negative, balancing, pairs written. */
    public record Dpo(long noPositive, long noNegative, long candidatesA, long candidatesB, long droppedByBalancing, long pairs) {
        public Map<String, Long> toJson() {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("no_positive", noPositive);
            m.put("no_negative", noNegative);
            m.put("candidates_A", candidatesA);
            m.put("candidates_B", candidatesB);
            m.put("dropped_by_balancing", droppedByBalancing);
            m.put("pairs", pairs);
            return m;
        }

        static Dpo fromJson(Map<?, ?> m) {
            return new Dpo(count(m, "no_positive"), count(m, "no_negative"), count(m, "candidates_A"), count(m, "candidates_B"),
                    count(m, "dropped_by_balancing"), count(m, "pairs"));
        }
    }

    /** The map stats.json holds. */
    public Map<String, Object> toJson() {
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("round", round);
        stats.put("judge", judge);
        stats.put("verdict_rule", verdictRule);
        stats.put("samples", samples.toJson());
        stats.put("pair_orders", pairOrders.toJson());
        if (dpo != null) stats.put("dpo", dpo.toJson());
        return stats;
    }

    /** Reads stats.json's map back (a missing count is an error naming it). */
    public static AnnotateStats fromJson(Map<?, ?> m) {
        return new AnnotateStats(((Number) required(m, "round")).intValue(), (String) m.get("judge"), (String) m.get("verdict_rule"),
                Samples.fromJson(section(m, "samples")), PairOrders.fromJson(section(m, "pair_orders")),
                m.get("dpo") == null ? null : Dpo.fromJson(section(m, "dpo")));
    }

    private static Map<?, ?> section(Map<?, ?> m, String key) {
        if (!(required(m, key) instanceof Map<?, ?> s)) throw new IllegalArgumentException("stats.json: \"" + key + "\" is not an object");
        return s;
    }

    private static Object required(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (v == null) throw new IllegalArgumentException("stats.json: \"" + key + "\" is missing");
        return v;
    }

    private static long count(Map<?, ?> m, String key) {
        if (!(required(m, key) instanceof Number n)) throw new IllegalArgumentException("stats.json: \"" + key + "\" is not a number");
        return n.longValue();
    }
}
