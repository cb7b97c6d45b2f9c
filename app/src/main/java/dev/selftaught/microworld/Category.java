package dev.selftaught.microworld;

/** The RewardBench categories the micro-benchmark mirrors, with its subsets. */
public enum Category {
    CHAT("Chat"), CHAT_HARD("Chat Hard"), SAFETY("Safety"), REASONING("Reasoning");

    private final String label;

    Category(String label) { this.label = label; }

    /** The name RewardBench uses, e.g. "Chat Hard". */
    public String label() { return label; }
}
