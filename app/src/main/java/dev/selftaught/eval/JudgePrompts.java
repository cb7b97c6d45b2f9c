package dev.selftaught.eval;

import dev.selftaught.data.ChatMessage;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The judge prompt for a pair: a one-turn template and a multi-turn one, chosen by the number of
 * user turns of the item (as RewardBench does). Immutable; safe to share between threads.
 *
 * @param single    template for one-turn items (slots {@code {input}}, {@code {response_a}}, {@code {response_b}})
 * @param multiTurn template for items with several user turns (slots {@code {conversation_a}}, {@code {conversation_b}})
 */
public record JudgePrompts(JudgeTemplate single, JudgeTemplate multiTurn) {

    public JudgePrompts {
        Objects.requireNonNull(single, "single");
        Objects.requireNonNull(multiTurn, "multiTurn");
    }

    /** The default: the pair-v2 structure of the released judge, with its multi-turn variant. */
    public static JudgePrompts pairV2() {
        return new JudgePrompts(JudgeTemplate.builtin("pair-v2"), JudgeTemplate.builtin("pair-v2-multi-turn"));
    }

    /** The evaluation-plan prompt (spec §3.2) for one-turn items, pair-v2 multi-turn otherwise. */
    public static JudgePrompts evalPlan() {
        return new JudgePrompts(JudgeTemplate.builtin("eval-plan"), JudgeTemplate.builtin("pair-v2-multi-turn"));
    }

    /**
     * Built-in by name ({@code pair-v2}, {@code eval-plan}) or a template file path. A file that
     * uses {@code {conversation_a}} replaces the multi-turn template, any other the one-turn one.
     */
    public static JudgePrompts named(String nameOrFile) {
        if (nameOrFile == null || nameOrFile.equals("pair-v2")) return pairV2();
        if (nameOrFile.equals("eval-plan")) return evalPlan();
        JudgeTemplate t = JudgeTemplate.load(java.nio.file.Path.of(nameOrFile));
        JudgePrompts base = pairV2();
        return t.isMultiTurn() ? new JudgePrompts(base.single, t) : new JudgePrompts(t, base.multiTurn);
    }

    /** A short description for metrics files. */
    public String describe() {
        return single.name() + (multiTurn.name().equals("pair-v2-multi-turn") ? "" : " + " + multiTurn.name());
    }

    /**
     * Messages for judging {@code item} with the given answer in position A and the other in B.
     *
     * @param chosenAsA true: chosen shown as Assistant A; false: chosen shown as B
     */
    public List<ChatMessage> render(PairwiseItem item, boolean chosenAsA) {
        String a = chosenAsA ? item.chosen() : item.rejected();
        String b = chosenAsA ? item.rejected() : item.chosen();
        return render(item.context(), a, b);
    }

    /** Messages for judging two answers {@code a} and {@code b} to the conversation {@code context}. */
    public List<ChatMessage> render(List<ChatMessage> context, String a, String b) {
        long userTurns = context.stream().filter(m -> m.role().equals("user")).count();
        String input = context.getLast().content();
        if (userTurns <= 1) {
            return single.render(Map.of("input", input, "response_a", a, "response_b", b));
        }
        return multiTurn.render(Map.of("input", input, "response_a", a, "response_b", b,
                "conversation_a", conversation(context, a, "A"),
                "conversation_b", conversation(context, b, "B")));
    }

    /** One assistant's conversation as "### User:" / "### Assistant X:" blocks (system turns are not shown). */
    static String conversation(List<ChatMessage> context, String answer, String label) {
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : context) {
            switch (m.role()) {
                case "user" -> block(sb, "User", m.content());
                case "assistant" -> block(sb, "Assistant " + label, m.content());
                default -> { }
            }
        }
        block(sb, "Assistant " + label, answer);
        return sb.toString();
    }

    private static void block(StringBuilder sb, String who, String text) {
        if (!sb.isEmpty()) sb.append("\n\n");
        sb.append("### ").append(who).append(":\n").append(text);
    }
}
