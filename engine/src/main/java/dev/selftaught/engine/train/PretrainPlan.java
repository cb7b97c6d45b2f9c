package dev.selftaught.engine.train;

import java.util.SplittableRandom;

/**
 * Next-token pre-training batches from one token stream: every epoch cuts the stream into
 * non-overlapping windows of {@code T+1} tokens, shuffles them with the seed and the epoch
 * number, and groups them {@code B} at a time (the incomplete last group of an epoch is dropped).
 */
public final class PretrainPlan implements BatchPlan {
    private final int[] stream;
    private final int B, T, epochs, perEpoch;
    private final long seed;
    private int cachedEpoch = -1;
    private int[] order;

    public PretrainPlan(int[] stream, int batch, int seqLen, int epochs, long seed) {
        this.stream = stream;
        this.B = batch;
        this.T = seqLen;
        this.epochs = epochs;
        this.seed = seed;
        int windows = (stream.length - 1) / seqLen;
        this.perEpoch = windows / batch;
        if (perEpoch == 0) {
            throw new IllegalArgumentException("token stream of " + stream.length + " tokens is too short for one batch of "
                    + batch + " x " + seqLen);
        }
    }

    @Override public int size() { return perEpoch * epochs; }

    @Override public long tokens() { return (long) size() * B * T; }

    @Override
    public synchronized TokenBatch get(int index) {
        int epoch = index / perEpoch, inEpoch = index % perEpoch;
        if (epoch != cachedEpoch) {
            int windows = (stream.length - 1) / T;
            order = new int[windows];
            for (int i = 0; i < windows; i++) order[i] = i;
            SplittableRandom r = new SplittableRandom(seed * 31 + epoch);
            for (int i = windows - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i]; order[i] = order[j]; order[j] = t;
            }
            cachedEpoch = epoch;
        }
        int[] starts = new int[B];
        for (int b = 0; b < B; b++) starts[b] = order[inEpoch * B + b] * T;
        return TokenBatch.contiguous(stream, starts, T);
    }
}
