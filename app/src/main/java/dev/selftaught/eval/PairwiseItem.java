package dev.selftaught.eval;

import dev.selftaught.data.ChatMessage;

import java.util.List;
import java.util.Objects;

/**
 * One pairwise benchmark item: the conversation up to the answer being judged, and the two
 * candidate final answers, one known to be better ({@code chosen}).
 *
 * <p>{@code context} ends with the user turn being answered. A one-turn item is a single user
 * message; a two-turn item is user, assistant, user. Earlier assistant turns are shared by both
 * candidates, so each assistant's full conversation is {@code context + its final answer}
 * ({@link #conversationWith}).
 *
 * @param id      stable identifier (used to seed the per-item A/B order)
 * @param context conversation before the judged answer; non-empty, last message from the user
 * @param chosen  the better final answer
 * @param rejected the worse final answer
 * @param subset  benchmark subset name (RewardBench names map to categories), never null
 * @param category the category a pairwise file's {@code category} column gives the item, or null;
 *                 a RewardBench subset always scores in its RewardBench category
 */
public record PairwiseItem(String id, List<ChatMessage> context, String chosen, String rejected, String subset,
                           String category) {

    /** An item without a category column. */
    public PairwiseItem(String id, List<ChatMessage> context, String chosen, String rejected, String subset) {
        this(id, context, chosen, rejected, subset, null);
    }

    public PairwiseItem {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
        Objects.requireNonNull(subset, "subset");
        context = List.copyOf(context);
        if (context.isEmpty()) throw new IllegalArgumentException("item " + id + ": empty context");
        if (!context.getLast().role().equals("user")) {
            throw new IllegalArgumentException("item " + id + ": the context must end with a user turn");
        }
    }

    /** A one-turn item. */
    public static PairwiseItem single(String id, String prompt, String chosen, String rejected, String subset) {
        return new PairwiseItem(id, List.of(ChatMessage.user(prompt)), chosen, rejected, subset);
    }

    /** The user question being answered (the last user turn). */
    public String prompt() { return context.getLast().content(); }

    /** Number of user turns, counting the one being answered. */
    public int turns() {
        return (int) context.stream().filter(m -> m.role().equals("user")).count();
    }

    /** One assistant's whole conversation: the context followed by {@code answer}. */
    public List<ChatMessage> conversationWith(String answer) {
        var all = new java.util.ArrayList<>(context);
        all.add(ChatMessage.assistant(answer));
        return List.copyOf(all);
    }
}
