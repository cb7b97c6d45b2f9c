package dev.selftaught.engine.infer;

import dev.selftaught.engine.model.LlamaConfig;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Keys and values of every sequence being decoded, one slot per sequence. A slot holds, per
 * layer, keys and values transposed as {@code [kvDim][capacity]}: dimension d of position t is at
 * {@code d * capacity + t}, so attention runs along positions with full vectors whatever the head
 * size (llama2.c-sized heads of 8 floats would waste most of a 16-lane vector). Capacity is what the
 * sequence may reach (prompt + max new tokens, at most maxSeqLen), so short requests on a
 * long-context model do not reserve the whole context. Released slots are reused.
 */
public final class KvCache {
    private final LlamaConfig config;
    private final List<float[][]> keys = new ArrayList<>();
    private final List<float[][]> values = new ArrayList<>();
    private final List<Integer> capacity = new ArrayList<>();
    private final ArrayDeque<Integer> free = new ArrayDeque<>();

    public KvCache(LlamaConfig config) { this.config = config; }

    /** Returns a slot that can hold {@code positions} positions. */
    public int allocate(int positions) {
        if (positions > config.maxSeqLen()) {
            throw new IllegalArgumentException("sequence of " + positions + " positions exceeds the model's context of " + config.maxSeqLen());
        }
        Integer slot = free.poll();
        if (slot == null) {
            slot = keys.size();
            keys.add(null);
            values.add(null);
            capacity.add(0);
        }
        if (capacity.get(slot) < positions) {
            int n = config.kvDim() * positions;
            float[][] k = new float[config.nLayers()][n];
            float[][] v = new float[config.nLayers()][n];
            keys.set(slot, k);
            values.set(slot, v);
            capacity.set(slot, positions);
        }
        return slot;
    }

    public void release(int slot) { free.push(slot); }

    public int capacity(int slot) { return capacity.get(slot); }

    /**
     * Copies positions {@code [0, positions)} of every layer from one slot to another, so that a
     * sequence with the same prompt prefix need not compute it again (the {@code n} samples of one
     * request share their prompt's prefill this way).
     */
    public void copyPrefix(int from, int to, int positions) {
        int capFrom = capacity.get(from), capTo = capacity.get(to);
        if (positions > capFrom || positions > capTo) {
            throw new IllegalArgumentException("cannot copy " + positions + " positions between slots of " + capFrom + " and " + capTo);
        }
        int kvDim = config.kvDim();
        for (int l = 0; l < config.nLayers(); l++) {
            float[] ks = keys.get(from)[l], kd = keys.get(to)[l], vs = values.get(from)[l], vd = values.get(to)[l];
            for (int d = 0; d < kvDim; d++) { // layout [kvDim][capacity]
                System.arraycopy(ks, d * capFrom, kd, d * capTo, positions);
                System.arraycopy(vs, d * capFrom, vd, d * capTo, positions);
            }
        }
    }

    float[] keys(int slot, int layer) { return keys.get(slot)[layer]; }

    float[] values(int slot, int layer) { return values.get(slot)[layer]; }
}
