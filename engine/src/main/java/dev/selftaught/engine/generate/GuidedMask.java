package dev.selftaught.engine.generate;

import dev.selftaught.engine.tokenizer.Tokenizer;

/**
 * Guided decoding as a {@link TokenMask}: only tokens whose bytes keep the output on a path of a
 * {@link ByteDfa} stay allowed; the stop ids are allowed exactly when the output so far is a whole
 * match, and are the only choice once nothing can follow. Tokens that add no bytes (control
 * tokens other than the stop ids) are masked, so decoding always moves. One instance per
 * sequence: it remembers the automaton state after the tokens it has already seen.
 *
 * <p>Cost per step: one automaton walk over each vocabulary token's bytes (stopping at the first
 * dead byte), i.e. O(vocabulary x token length).
 */
public final class GuidedMask implements TokenMask {
    private final ByteDfa dfa;
    private final Tokenizer tokenizer;
    private final int[] stopIds;
    private final int lastPromptId;
    private int state;
    private int seen;

    public GuidedMask(ByteDfa dfa, Tokenizer tokenizer, int[] stopIds, int lastPromptId) {
        this.dfa = dfa;
        this.tokenizer = tokenizer;
        this.stopIds = stopIds.clone();
        this.lastPromptId = lastPromptId;
        this.state = dfa.start();
    }

    @Override
    public void apply(int[] generated, int nGenerated, float[] logits, int off, int vocab) {
        while (seen < nGenerated && state >= 0) {
            int prev = seen == 0 ? lastPromptId : generated[seen - 1];
            state = dfa.next(state, tokenizer.streamBytes(prev, generated[seen]));
            seen++;
        }
        int prev = nGenerated == 0 ? lastPromptId : generated[nGenerated - 1];
        boolean accept = state >= 0 && dfa.accepting(state);
        for (int id = 0; id < vocab; id++) {
            if (logits[off + id] == Float.NEGATIVE_INFINITY) continue;
            if (isStop(id)) {
                if (!accept) logits[off + id] = Float.NEGATIVE_INFINITY;
                continue;
            }
            byte[] b = state < 0 || id >= tokenizer.vocabSize() ? null : tokenizer.streamBytes(prev, id);
            if (b == null || b.length == 0 || dfa.next(state, b) < 0) logits[off + id] = Float.NEGATIVE_INFINITY;
        }
    }

    private boolean isStop(int id) {
        for (int s : stopIds) if (s == id) return true;
        return false;
    }
}
