package dev.selftaught.eval;

import java.util.Locale;

/**
 * The parsed outcome of one judgment: Assistant A better, Assistant B better, a tie (only some
 * parse rules produce it, from {@code [[C]]} or from several markers), or no verdict at all.
 */
public enum Verdict {
    A, B, TIE, NONE;

    /** Lower-case name used in JSON files: "A", "B", "tie", "none". */
    public String jsonName() {
        return switch (this) {
            case A -> "A";
            case B -> "B";
            case TIE -> "tie";
            case NONE -> "none";
        };
    }

    /** Reads {@link #jsonName()} (case-insensitive). */
    public static Verdict fromJson(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "a" -> A;
            case "b" -> B;
            case "tie" -> TIE;
            case "none" -> NONE;
            default -> throw new IllegalArgumentException("not a verdict: " + s);
        };
    }

    /** True for A or B: a verdict that names one of the two responses. */
    public boolean decisive() { return this == A || this == B; }

    /** The verdict that names the same response after swapping the A/B positions. */
    public Verdict swapped() {
        return switch (this) {
            case A -> B;
            case B -> A;
            default -> this;
        };
    }
}
