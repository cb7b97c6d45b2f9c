package dev.selftaught.eval;

import dev.selftaught.data.InputError;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The three verdict-parsing rules of the method (spec §3.3), kept apart because they disagree
 * on edge cases and each is the faithful one in its own place. All are case-sensitive: a
 * lower-case {@code [[a]]} is not a verdict, exactly as in the reference code.
 */
public enum ParseRule implements VerdictParser {

    /**
     * Used when building SFT data: both {@code [[A]]} and {@code [[B]]} present means the judge
     * contradicted itself, so no verdict; otherwise the first marker found in the order
     * {@code [[A]]}, {@code [[B]]}, {@code [[C]]} (tie) decides.
     */
    SFT("sft") {
        @Override
        public Verdict parse(String text) {
            boolean a = text.contains(MARK_A), b = text.contains(MARK_B);
            if (a && b) return Verdict.NONE;
            if (a) return Verdict.A;
            if (b) return Verdict.B;
            if (text.contains(MARK_C)) return Verdict.TIE;
            return Verdict.NONE;
        }
    },

    /**
     * Used when building DPO data: more than one {@code [[} anywhere means a tie (the judge
     * hedged); otherwise {@code [[A]]}, {@code [[B]]}, {@code [[C]]} (tie), else no verdict.
     */
    DPO("dpo") {
        @Override
        public Verdict parse(String text) {
            int first = text.indexOf("[[");
            if (first >= 0 && text.indexOf("[[", first + 1) >= 0) return Verdict.TIE;
            if (text.contains(MARK_A)) return Verdict.A;
            if (text.contains(MARK_B)) return Verdict.B;
            if (text.contains(MARK_C)) return Verdict.TIE;
            return Verdict.NONE;
        }
    },

    /**
     * RewardBench's scoring rule: {@code [[A]]} anywhere wins (checked first, even when
     * {@code [[B]]} is also present), else {@code [[B]]}, else no verdict (scored 0.5). There is
     * no tie outcome.
     */
    REWARDBENCH("rewardbench") {
        @Override
        public Verdict parse(String text) {
            if (text.contains(MARK_A)) return Verdict.A;
            if (text.contains(MARK_B)) return Verdict.B;
            return Verdict.NONE;
        }
    };

    static final String MARK_A = "[[A]]";
    static final String MARK_B = "[[B]]";
    static final String MARK_C = "[[C]]";

    private final String cliName;

    ParseRule(String cliName) { this.cliName = cliName; }

    /** The name used on the command line and in config and metrics files. */
    public String cliName() { return cliName; }

    /** Looks a rule up by its name (sft, dpo, rewardbench); bad names are an {@link InputError}. */
    public static ParseRule named(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (ParseRule r : values()) if (r.cliName.equals(n)) return r;
        throw new InputError("unknown parse rule '" + name + "'; use one of "
                + Arrays.stream(values()).map(ParseRule::cliName).collect(Collectors.joining(", ")));
    }
}
