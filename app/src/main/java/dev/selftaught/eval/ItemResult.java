package dev.selftaught.eval;

import java.util.List;

/**
 * The outcome for one benchmark item.
 *
 * @param item      the item
 * @param judgments one per order judged (two with {@link Order#BOTH}); empty when not judged
 * @param score     the item's score: the judgment's score, the mean of both orders' scores, or
 *                  0.5 when the item was not judged
 * @param skipReason why the item was not judged, or null
 */
public record ItemResult(PairwiseItem item, List<Judgment> judgments, double score, String skipReason) {
    public ItemResult {
        judgments = List.copyOf(judgments);
    }

    public boolean judged() { return skipReason == null; }

    /** Correct in every order judged (with both orders: position-consistent). */
    public boolean consistentlyCorrect() {
        return judged() && !judgments.isEmpty() && judgments.stream().allMatch(Judgment::correct);
    }
}
