package dev.selftaught.engine.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Preference-pair batches for DPO: each pair (prompt, chosen, rejected) becomes two sequences,
 * prompt+chosen and prompt+rejected, whose loss positions are the answer tokens only (the prompt
 * is masked, as the source tokens of spec §2.7). Sequences are packed into rows of {@code T}
 * tokens as {@link SftPlan} packs examples (each its own attention segment, positions restarting
 * at 0), in a per-epoch shuffled order of pairs; both sequences of a pair always share a
 * micro-batch, since the pair's loss needs both. A micro-batch holds about {@code tokenBudget}
 * tokens. A sequence longer than a row drops its pair or has its answer's end cut ({@link SftPlan.Truncation}).
 */
public final class DpoPlan {
    /** One preference pair in tokens; the answers end with the end-of-sequence token. */
    public record Pair(int[] prompt, int[] chosen, int[] rejected) {}

    /**
     * One micro-batch: its tokens and, for each pair in it, the pair's index in the plan's pair
     * list and the attention segments of its chosen and rejected sequences.
     */
    public record Batch(TokenBatch tokens, int[] pairs, int[] chosenSegments, int[] rejectedSegments) {
        public int size() { return pairs.length; }
    }

    private final List<Batch> batches = new ArrayList<>();
    private final List<Integer> epochEnds = new ArrayList<>();
    private final int seqLen;
    private final int pairCount;
    private final SftPlan.Truncation truncation;
    private int cut, dropped, kept;

    public DpoPlan(List<Pair> pairs, int maxSeqLen, int tokenBudget, int epochs, long seed, SftPlan.Truncation truncation) {
        if (pairs.isEmpty()) throw new IllegalArgumentException("no preference pairs");
        this.pairCount = pairs.size();
        this.truncation = truncation;
        int longest = 0;
        for (Pair p : pairs) longest = Math.max(longest, p.prompt().length + Math.max(p.chosen().length, p.rejected().length) - 1);
        this.seqLen = Math.max(1, Math.min(maxSeqLen, longest));
        int rowsPerBatch = Math.max(1, tokenBudget / seqLen);
        // fitted[i] = {chosen, rejected} of pair i, or null when the pair is dropped
        SftPlan.Fitted[][] fitted = new SftPlan.Fitted[pairs.size()][];
        List<Integer> usable = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            SftPlan.Fitted c = SftPlan.fit(new SftPlan.Example(p.prompt(), p.chosen()), seqLen, truncation);
            SftPlan.Fitted r = SftPlan.fit(new SftPlan.Example(p.prompt(), p.rejected()), seqLen, truncation);
            if (c == null || r == null) {
                dropped++;
                continue;
            }
            if (c.cut() || r.cut()) cut++;
            fitted[i] = new SftPlan.Fitted[] {c, r};
            usable.add(i);
        }
        kept = usable.size();
        for (int epoch = 0; epoch < epochs && !usable.isEmpty(); epoch++) {
            Integer[] order = usable.toArray(new Integer[0]);
            SplittableRandom rnd = new SplittableRandom(seed * 31 + epoch);
            for (int i = order.length - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                Integer t = order[i]; order[i] = order[j]; order[j] = t;
            }
            Packer packer = new Packer(rowsPerBatch);
            for (Integer idx : order) packer.add(idx, fitted[idx][0], fitted[idx][1]);
            packer.flush();
            epochEnds.add(batches.size());
        }
    }

    /** One epoch of batches built elsewhere (golden-file tests). */
    private DpoPlan(List<Batch> given, int pairCount) {
        this.pairCount = pairCount;
        this.truncation = SftPlan.Truncation.DROP;
        this.seqLen = given.getFirst().tokens().seqLen();
        batches.addAll(given);
        epochEnds.add(batches.size());
        for (Batch b : given) kept += b.size();
    }

    static DpoPlan ofBatches(List<Batch> batches, int pairCount) {
        return new DpoPlan(batches, pairCount);
    }

    /** Greedy packing of whole pairs into micro-batches of at most {@code rowsPerBatch} rows (more only for a pair that alone needs more). */
    private final class Packer {
        private final int rowsPerBatch;
        private final List<List<Object[]>> rows = new ArrayList<>(); // each entry: {pair index, isChosen, Fitted}
        private final List<Integer> used = new ArrayList<>();
        private final List<Integer> pairIds = new ArrayList<>();

        Packer(int rowsPerBatch) { this.rowsPerBatch = rowsPerBatch; }

        void add(int pair, SftPlan.Fitted chosen, SftPlan.Fitted rejected) {
            int before = rows.size();
            place(pair, true, chosen);
            place(pair, false, rejected);
            if (rows.size() > rowsPerBatch && before > 0) {
                // the pair overflowed this batch: take it back out, close the batch, start the next with it
                unplace(pair);
                flush();
                place(pair, true, chosen);
                place(pair, false, rejected);
            }
            pairIds.add(pair);
        }

        private void place(int pair, boolean isChosen, SftPlan.Fitted f) {
            int len = f.tokens().length;
            int last = rows.size() - 1;
            if (last < 0 || used.get(last) + len > seqLen) {
                rows.add(new ArrayList<>());
                used.add(0);
                last++;
            }
            rows.get(last).add(new Object[] {pair, isChosen, f});
            used.set(last, used.get(last) + len);
        }

        private void unplace(int pair) {
            for (int r = rows.size() - 1; r >= 0; r--) {
                List<Object[]> row = rows.get(r);
                for (int k = row.size() - 1; k >= 0; k--) {
                    if ((int) row.get(k)[0] == pair) {
                        used.set(r, used.get(r) - ((SftPlan.Fitted) row.get(k)[2]).tokens().length);
                        row.remove(k);
                    }
                }
                if (row.isEmpty()) {
                    rows.remove(r);
                    used.remove(r);
                }
            }
        }

        void flush() {
            if (rows.isEmpty()) return;
            int B = rows.size(), T = seqLen;
            int[] tok = new int[B * T], tgt = new int[B * T], pos = new int[B * T], seg = new int[B * T];
            Arrays.fill(tgt, TokenBatch.IGNORE);
            int[] ids = pairIds.stream().mapToInt(Integer::intValue).toArray();
            int[] cSeg = new int[ids.length], rSeg = new int[ids.length];
            int segId = 0;
            for (int b = 0; b < B; b++) {
                int p = b * T;
                for (Object[] e : rows.get(b)) {
                    segId++;
                    int pair = (int) e[0];
                    int k = pairIds.indexOf(pair);
                    if ((boolean) e[1]) cSeg[k] = segId; else rSeg[k] = segId;
                    SftPlan.Fitted f = (SftPlan.Fitted) e[2];
                    for (int i = 0; i < f.tokens().length; i++, p++) {
                        tok[p] = f.tokens()[i];
                        tgt[p] = f.targets()[i];
                        pos[p] = i;
                        seg[p] = segId;
                    }
                }
                for (int i = 0; p < (b + 1) * T; p++, i++) { pos[p] = i; seg[p] = -1 - b; }
            }
            batches.add(new Batch(new TokenBatch(B, T, tok, tgt, pos, seg), ids, cSeg, rSeg));
            rows.clear();
            used.clear();
            pairIds.clear();
        }
    }

    /** Micro-batches over all epochs. */
    public int size() { return batches.size(); }

    public Batch get(int index) { return batches.get(index); }

    /** Micro-batches of the first epoch: every kept pair exactly once (where reference log-probabilities are computed). */
    public int firstEpochSize() { return epochEnds.isEmpty() ? 0 : epochEnds.getFirst(); }

    /** For each epoch, the number of micro-batches up to and including it. */
    public List<Integer> epochEnds() { return java.util.Collections.unmodifiableList(epochEnds); }

    /** Pairs given (kept or not); reference arrays are indexed by these. */
    public int pairCount() { return pairCount; }

    /** Row length the plan settled on. */
    public int seqLen() { return seqLen; }

    /** Pairs left out because a sequence was longer than a row. */
    public int dropped() { return dropped; }

    /** Pairs kept with an answer's end cut. */
    public int cut() { return cut; }

    /** Pairs trained on. */
    public int kept() { return kept; }

    public SftPlan.Truncation truncation() { return truncation; }

    /**
     * Each pair's log-probability sums in a micro-batch: {@code out[2k]} = log π(chosen | prompt),
     * {@code out[2k+1]} = log π(rejected | prompt) for the batch's k-th pair, summed over answer
     * tokens, from per-position losses (−log p) as {@link TrainingModel#tokenLosses} gives them.
     * Also fills {@code counts} (answer tokens per sequence, same layout) when not null.
     */
    public static double[] sequenceLogps(Batch b, double[] tokenLoss, int[] counts) {
        int[] seg = b.tokens().segments();
        int maxSeg = 0;
        for (int s : seg) maxSeg = Math.max(maxSeg, s);
        double[] sum = new double[maxSeg + 1];
        int[] n = new int[maxSeg + 1];
        for (int p = 0; p < seg.length; p++) {
            if (seg[p] > 0 && !Double.isNaN(tokenLoss[p])) {
                sum[seg[p]] -= tokenLoss[p];
                n[seg[p]]++;
            }
        }
        double[] out = new double[2 * b.size()];
        for (int k = 0; k < b.size(); k++) {
            out[2 * k] = sum[b.chosenSegments()[k]];
            out[2 * k + 1] = sum[b.rejectedSegments()[k]];
            if (counts != null) {
                counts[2 * k] = n[b.chosenSegments()[k]];
                counts[2 * k + 1] = n[b.rejectedSegments()[k]];
            }
        }
        return out;
    }
}
