package dev.selftaught.llm;

/** Token counts of one call (or a sum of calls). */
public record Usage(long promptTokens, long completionTokens) {
    public static final Usage ZERO = new Usage(0, 0);

    public Usage plus(Usage o) { return new Usage(promptTokens + o.promptTokens, completionTokens + o.completionTokens); }

    public long totalTokens() { return promptTokens + completionTokens; }
}
