package dev.selftaught.eval;

/** Turns the raw text of one judgment into a {@link Verdict}. Never throws on any text. */
@FunctionalInterface
public interface VerdictParser {
    Verdict parse(String judgmentText);
}
