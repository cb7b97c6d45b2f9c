package dev.selftaught.microworld;

import java.util.Locale;

/** The categories of the micro-world's categorisation prompt (the analogue of the paper's instruction categories). */
public enum Topic {
    MATH, TEXT, LISTS, UNITS, LOGIC, SAFETY;

    /** Lower-case label as written in prompts and records. */
    public String label() { return name().toLowerCase(Locale.ROOT); }
}
