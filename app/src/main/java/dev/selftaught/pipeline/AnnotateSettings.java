package dev.selftaught.pipeline;

import dev.selftaught.data.InputError;

/**
 * Settings of the annotate stage (config section {@code annotate}).
 *
 * @param samples        judgments sampled per pair-order (spec: 15)
 * @param temperature    spec: 0.7
 * @param topP           spec: 0.9
 * @param maxTokens      most tokens per judgment
 * @param order          both (released pipeline, default), random (one seeded order per pair) or fixed
 * @param fixedOrder     with order=fixed: AB (chosen shown as A) or BA
 * @param verdictRule    parse rule for training labels: sft (default), dpo or rewardbench (spec §3.3)
 * @param balance        truncate the larger of the A-gold / B-gold groups (spec §2.4 step 5)
 * @param majority       keep a pair-order only if at least this fraction of its samples is correct (0 = off)
 * @param template       judge template: pair-v2 (default), eval-plan, or a template file (eval's JudgeTemplate format)
 * @param chatFormat     fairseq2 src rendering: llama3 or plain
 * @param dpo            also write DPO pairs (spec §2.7)
 * @param dpoRule        parse rule for DPO positives/negatives (spec: dpo)
 * @param dpoPairs       (positive, negative) combinations kept per pair-order (spec default 1)
 * @param seed           base seed for sampling, rejection sampling, order choice and balancing
 */
public record AnnotateSettings(int samples, double temperature, double topP, int maxTokens, String order,
                               String fixedOrder, String verdictRule, boolean balance, double majority,
                               String template, String chatFormat, boolean dpo, String dpoRule, int dpoPairs,
                               long seed) {
    // The defaults, defined once: the compact constructor, DEFAULTS, the run config's defaults and
    // the annotate command's options all use these.
    public static final int SAMPLES = 15;
    public static final double TEMPERATURE = 0.7;
    public static final double TOP_P = 0.9;
    public static final int MAX_TOKENS = 2048;
    public static final String ORDER = "both";
    public static final String FIXED_ORDER = "AB";
    public static final String VERDICT_RULE = "sft";
    public static final String CHAT_FORMAT = "llama3";
    public static final String DPO_RULE = "dpo";
    public static final int DPO_PAIRS = 1;
    public static final long SEED = 1;

    public AnnotateSettings {
        if (samples <= 0) samples = SAMPLES;
        if (maxTokens <= 0) maxTokens = MAX_TOKENS;
        if (order == null) order = ORDER;
        if (!order.equals("both") && !order.equals("random") && !order.equals("fixed")) {
            throw new InputError("annotate.order must be both, random or fixed; got '" + order + "'");
        }
        if (fixedOrder == null) fixedOrder = FIXED_ORDER;
        if (!fixedOrder.equals("AB") && !fixedOrder.equals("BA")) {
            throw new InputError("annotate.fixed_order must be AB or BA; got '" + fixedOrder + "'");
        }
        if (verdictRule == null) verdictRule = VERDICT_RULE;
        dev.selftaught.eval.ParseRule.named(verdictRule);
        if (majority < 0 || majority > 1) throw new InputError("annotate.majority must be in [0, 1]; got " + majority);
        if (chatFormat == null) chatFormat = CHAT_FORMAT;
        ChatFormat.named(chatFormat);
        if (dpoRule == null) dpoRule = DPO_RULE;
        dev.selftaught.eval.ParseRule.named(dpoRule);
        if (dpoPairs <= 0) dpoPairs = DPO_PAIRS;
    }

    /** Every default: spec values where the spec gives one (docs/pipeline.md lists them). */
    public static AnnotateSettings defaults() {
        return new AnnotateSettings(SAMPLES, TEMPERATURE, TOP_P, MAX_TOKENS, ORDER, FIXED_ORDER, VERDICT_RULE, true, 0, null,
                CHAT_FORMAT, false, DPO_RULE, DPO_PAIRS, SEED);
    }
}
