package dev.selftaught.engine.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Supervised fine-tuning batches from (prompt, completion) token pairs. The loss is taken only
 * on completion tokens. Examples are packed into rows of {@code T} tokens in a per-epoch shuffled
 * order; each packed example is its own attention segment with positions restarting at 0, so
 * examples never see each other. Rows are grouped so a micro-batch holds about
 * {@code tokenBudget} tokens; unused row tails are padding (no loss, own segment). An example
 * longer than a row is dropped or has its completion's end cut ({@link Truncation}), counted either
 * way; its prompt is never shortened.
 */
public final class SftPlan implements BatchPlan {
    /** One training example; the model learns to produce {@code completion} after {@code prompt}. */
    public record Example(int[] prompt, int[] completion) {
        public int length() { return prompt.length + completion.length; }
    }

    /**
     * What happens to an example longer than a row. Never the prompt's start: for a judge the
     * prompt holds the question and both answers, and a target learned without them teaches a
     * verdict on text the model never saw.
     */
    public enum Truncation {
        /** Leave the example out (counted in {@link #dropped()}): a judgment cut short loses its verdict. */
        DROP,
        /**
         * Keep the whole prompt and cut the completion's end (counted in {@link #cut()}); the
         * example is dropped instead when the prompt alone leaves no completion token to learn.
         */
        CUT_END
    }

    private final List<TokenBatch> batches = new ArrayList<>();
    private final int seqLen;
    private final Truncation truncation;
    private int cut;
    private int dropped;

    /** Cutting the completion's end of over-long examples (pre-training text: the prompt is just BOS). */
    public SftPlan(List<Example> examples, int maxSeqLen, int tokenBudget, int epochs, long seed) {
        this(examples, maxSeqLen, tokenBudget, epochs, seed, Truncation.CUT_END);
    }

    /**
     * @param maxSeqLen   longest row (the model's context); longer examples are handled by {@code truncation}
     * @param tokenBudget tokens per micro-batch (rows × row length)
     * @param truncation  what happens to an example longer than a row
     */
    public SftPlan(List<Example> examples, int maxSeqLen, int tokenBudget, int epochs, long seed, Truncation truncation) {
        if (examples.isEmpty()) throw new IllegalArgumentException("no training examples");
        this.truncation = truncation;
        int longest = 0;
        for (Example e : examples) longest = Math.max(longest, e.length() - 1);
        this.seqLen = Math.max(1, Math.min(maxSeqLen, longest));
        int rowsPerBatch = Math.max(1, tokenBudget / seqLen);
        List<int[][]> fitted = new ArrayList<>();
        for (Example e : examples) {
            int[][] f = fit(e);
            if (f != null) fitted.add(f);
        }
        for (int epoch = 0; epoch < epochs; epoch++) {
            Integer[] order = new Integer[fitted.size()];
            for (int i = 0; i < order.length; i++) order[i] = i;
            SplittableRandom r = new SplittableRandom(seed * 31 + epoch);
            for (int i = order.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                Integer t = order[i]; order[i] = order[j]; order[j] = t;
            }
            List<List<int[][]>> rows = new ArrayList<>();
            List<int[][]> row = new ArrayList<>();
            int used = 0;
            for (Integer idx : order) {
                int[][] ex = fitted.get(idx);
                int len = ex[0].length;
                if (used + len > seqLen && !row.isEmpty()) { rows.add(row); row = new ArrayList<>(); used = 0; }
                row.add(ex);
                used += len;
            }
            if (!row.isEmpty()) rows.add(row);
            for (int i = 0; i < rows.size(); i += rowsPerBatch) {
                batches.add(build(rows.subList(i, Math.min(rows.size(), i + rowsPerBatch))));
            }
            epochEnds.add(batches.size());
        }
    }

    private final List<Integer> epochEnds = new ArrayList<>();

    /** For each epoch, the number of micro-batches up to and including it (epoch e ends before batch epochEnds[e]). */
    public List<Integer> epochEnds() { return java.util.Collections.unmodifiableList(epochEnds); }

    /** Inputs and targets of one example, at most seqLen long: {tokens, targets}; null when dropped. */
    private int[][] fit(Example e) {
        Fitted f = fit(e, seqLen, truncation);
        if (f == null) {
            dropped++;
            return null;
        }
        if (f.cut()) cut++;
        return new int[][] {f.tokens(), f.targets()};
    }

    /** An example laid out for training: input tokens, next-token targets (IGNORE on the prompt), and whether its end was cut. */
    record Fitted(int[] tokens, int[] targets, boolean cut) {}

    /**
     * Inputs and targets of one example at most {@code seqLen} long, or null when it is too long
     * and {@code truncation} drops it (or the prompt alone leaves no completion token to predict).
     */
    static Fitted fit(Example e, int seqLen, Truncation truncation) {
        int[] seq = new int[e.length()];
        System.arraycopy(e.prompt(), 0, seq, 0, e.prompt().length);
        System.arraycopy(e.completion(), 0, seq, e.prompt().length, e.completion().length);
        int firstTarget = Math.max(e.prompt().length, 1); // index in seq of the first token to predict
        int to = seq.length;
        boolean cut = false;
        if (to - 1 > seqLen) {
            // too long: drop it, or keep the prompt whole and cut the completion's end, as long as
            // at least one completion token is still predicted
            if (truncation == Truncation.DROP || firstTarget > seqLen) return null;
            cut = true;
            to = seqLen + 1;
        }
        int n = to - 1;
        int[] tok = Arrays.copyOfRange(seq, 0, n);
        int[] tgt = new int[n];
        for (int i = 0; i < n; i++) {
            int target = i + 1;
            tgt[i] = target >= firstTarget ? seq[target] : TokenBatch.IGNORE;
        }
        return new Fitted(tok, tgt, cut);
    }

    private TokenBatch build(List<List<int[][]>> rows) {
        int B = rows.size(), T = seqLen;
        int[] tok = new int[B * T], tgt = new int[B * T], pos = new int[B * T], seg = new int[B * T];
        Arrays.fill(tgt, TokenBatch.IGNORE);
        int segId = 0;
        for (int b = 0; b < B; b++) {
            int p = b * T;
            for (int[][] ex : rows.get(b)) {
                segId++;
                for (int i = 0; i < ex[0].length; i++, p++) {
                    tok[p] = ex[0][i];
                    tgt[p] = ex[1][i];
                    pos[p] = i;
                    seg[p] = segId;
                }
            }
            for (int i = 0; p < (b + 1) * T; p++, i++) { pos[p] = i; seg[p] = -1 - b; }
        }
        return new TokenBatch(B, T, tok, tgt, pos, seg);
    }

    /** Row length the plan settled on. */
    public int seqLen() { return seqLen; }

    /** Examples longer than a row, kept with the completion's end cut (counted once, not per epoch). */
    public int cut() { return cut; }

    /** Examples longer than a row, left out (counted once, not per epoch). */
    public int dropped() { return dropped; }

    /** Examples longer than a row: {@link #cut()} + {@link #dropped()}. */
    public int truncated() { return cut + dropped; }

    /** The policy for over-long examples. */
    public Truncation truncation() { return truncation; }

    @Override public int size() { return batches.size(); }

    @Override public TokenBatch get(int index) { return batches.get(index); }
}
