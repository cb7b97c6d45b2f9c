package dev.selftaught.pipeline;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/** The record types the pipeline writes (JSONL, snake_case field names; see docs/pipeline.md). */
public final class Records {
    private Records() {}

    /** One selected instruction x: select/instructions.jsonl. */
    public record Instruction(String id, String instruction, String source, String category) {}

    /** One fixed synthetic pair (x, y_w, y_l): pairs/pairs.jsonl. chosen = y_w, rejected = y_l. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Pair(String id, String instruction, String modifiedInstruction, String chosen, String rejected,
                       String method) {}

    /**
     * One sampled judgment: round-i/annotations.jsonl. order "AB" = chosen shown as A (gold A),
     * "BA" = chosen shown as B (gold B). verdict is A, B, tie or none.
     */
    public record Judgment(String pairId, String order, int sample, String text, String verdict, boolean correct,
                           boolean kept, String dropReason) {}

    /** A chat turn in exported datasets (TRL messages). */
    public record Message(String role, String content) {}

    /** TRL SFT row. */
    public record SftRow(List<Message> messages) {}

    /** fairseq2 instruction-finetuning row. */
    public record Fairseq2Sft(String id, String src, String tgt) {}

    /** TRL DPO row, conversational form. */
    public record DpoRow(List<Message> prompt, List<Message> chosen, List<Message> rejected) {}

    /** fairseq2 preference row. */
    public record Fairseq2Dpo(String id, String src, String tgtChosen, String tgtRejected) {}

    /** Counts by reason, in a fixed order for readable stats files. */
    public static Map<String, Long> counts(String... keys) {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (String k : keys) m.put(k, 0L);
        return m;
    }
}
