package dev.selftaught.engine.train;

import java.util.Arrays;

/**
 * One micro-batch of {@code B} rows of {@code T} tokens, flattened row-major.
 *
 * @param tokens    input ids [B*T]
 * @param targets   next-token targets [B*T]; {@link #IGNORE} where no loss is taken (prompt, padding)
 * @param positions rotary positions [B*T]; restart at 0 for each packed example
 * @param segments  example id per token [B*T]; attention never crosses a segment boundary, so
 *                  packed examples cannot see each other. Padding gets its own segment.
 */
public record TokenBatch(int batch, int seqLen, int[] tokens, int[] targets, int[] positions, int[] segments) {
    public static final int IGNORE = -1;

    public TokenBatch {
        int n = batch * seqLen;
        if (batch <= 0 || seqLen <= 0) throw new IllegalArgumentException("empty batch " + batch + "x" + seqLen);
        if (tokens.length != n || targets.length != n || positions.length != n || segments.length != n) {
            throw new IllegalArgumentException("batch arrays must all have " + n + " entries");
        }
    }

    /** Number of positions that carry a loss. */
    public int targetCount() {
        int c = 0;
        for (int t : targets) if (t != IGNORE) c++;
        return c;
    }

    /**
     * Plain language-model rows: row b is {@code stream[starts[b] .. starts[b]+T]}, the target of
     * each token is the next one, positions 0..T-1, one segment per row.
     */
    public static TokenBatch contiguous(int[] stream, int[] starts, int T) {
        int B = starts.length;
        int[] tok = new int[B * T], tgt = new int[B * T], pos = new int[B * T], seg = new int[B * T];
        for (int b = 0; b < B; b++) {
            System.arraycopy(stream, starts[b], tok, b * T, T);
            System.arraycopy(stream, starts[b] + 1, tgt, b * T, T);
            for (int t = 0; t < T; t++) pos[b * T + t] = t;
            Arrays.fill(seg, b * T, b * T + T, b);
        }
        return new TokenBatch(B, T, tok, tgt, pos, seg);
    }
}
