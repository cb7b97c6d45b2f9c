package dev.selftaught.pipeline;

import dev.selftaught.data.InputError;

/**
 * The three verdict-parsing rules of the method's code (spec §3.3), by name. Results are
 * "A", "B", "tie" or "none" (no parsable verdict).
 * <p>Pipeline-local until the {@code eval} branch's parsers are merged; then this delegates.
 */
public enum VerdictRule {
    /** SFT data prep: both [[A]] and [[B]] present → none; else [[A]]→A, [[B]]→B, [[C]]→tie, checked in that order. */
    SFT,
    /** DPO data prep: more than one "[[" → tie; else [[A]]→A, [[B]]→B, [[C]]→tie; else none. */
    DPO,
    /** RewardBench scoring: [[A]] anywhere → A (checked first); else [[B]] → B; else none. */
    REWARDBENCH;

    public String parse(String text) {
        if (text == null) return "none";
        boolean a = text.contains("[[A]]"), b = text.contains("[[B]]"), c = text.contains("[[C]]");
        return switch (this) {
            case SFT -> (a && b) ? "none" : a ? "A" : b ? "B" : c ? "tie" : "none";
            case DPO -> {
                int first = text.indexOf("[[");
                if (first >= 0 && text.indexOf("[[", first + 2) >= 0) yield "tie";
                yield a ? "A" : b ? "B" : c ? "tie" : "none";
            }
            case REWARDBENCH -> a ? "A" : b ? "B" : "none";
        };
    }

    public String configName() { return name().toLowerCase(java.util.Locale.ROOT); }

    public static VerdictRule named(String name, String setting) {
        for (VerdictRule r : values()) if (r.configName().equalsIgnoreCase(name)) return r;
        throw new InputError(setting + " must be one of sft, dpo, rewardbench; got '" + name + "'");
    }
}
