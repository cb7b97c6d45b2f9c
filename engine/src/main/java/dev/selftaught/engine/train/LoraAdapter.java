package dev.selftaught.engine.train;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;

import java.util.SplittableRandom;

/**
 * LoRA matrices for every layer and target: {@code a[target][layer]} is [rank][in],
 * {@code b[target][layer]} is [out][rank]. {@code b} starts at zero, so a fresh adapter leaves the
 * model unchanged; {@code a} starts uniform in ±1/sqrt(in) (Kaiming-uniform with a=sqrt(5)).
 */
public final class LoraAdapter {
    public final LoraConfig config;
    public final LlamaConfig model;
    public final float[][][] a;
    public final float[][][] b;

    public LoraAdapter(LoraConfig config, LlamaConfig model) {
        this.config = config;
        this.model = model;
        int n = LoraConfig.Target.values().length;
        a = new float[n][][];
        b = new float[n][][];
        for (LoraConfig.Target t : config.targets()) {
            a[t.ordinal()] = new float[model.nLayers()][config.rank() * inDim(model, t)];
            b[t.ordinal()] = new float[model.nLayers()][outDim(model, t) * config.rank()];
        }
    }

    /** A zero-initialised copy shaped like {@code other} (used for gradients and optimizer moments). */
    public static LoraAdapter zerosLike(LoraAdapter other) {
        return new LoraAdapter(other.config, other.model);
    }

    public LoraAdapter initRandom(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (LoraConfig.Target t : LoraConfig.Target.values()) {
            if (a[t.ordinal()] == null) continue;
            float bound = (float) (1.0 / Math.sqrt(inDim(model, t)));
            for (float[] m : a[t.ordinal()]) for (int i = 0; i < m.length; i++) m[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        }
        return this;
    }

    public boolean has(LoraConfig.Target t) { return a[t.ordinal()] != null; }

    public static int inDim(LlamaConfig c, LoraConfig.Target t) {
        return switch (t) {
            case Q, K, V, O, GATE, UP -> c.dim();
            case DOWN -> c.hiddenDim();
        };
    }

    public static int outDim(LlamaConfig c, LoraConfig.Target t) {
        return switch (t) {
            case Q, O -> c.dim();
            case K, V -> c.kvDim();
            case GATE, UP -> c.hiddenDim();
            case DOWN -> c.dim();
        };
    }

    /** The base weight matrix a target adapts, [out][in]. */
    public static float[] baseMatrix(LlamaWeights w, LoraConfig.Target t, int layer) {
        return switch (t) {
            case Q -> w.wq[layer];
            case K -> w.wk[layer];
            case V -> w.wv[layer];
            case O -> w.wo[layer];
            case GATE -> w.w1[layer];
            case UP -> w.w3[layer];
            case DOWN -> w.w2[layer];
        };
    }

    /**
     * Folds the adapter into a copy of the base: {@code W + scale · B·A} per target. The base is
     * not modified.
     */
    public LlamaWeights mergeInto(LlamaWeights base) {
        LlamaWeights out = Params.copy(base);
        int r = config.rank();
        float s = config.scale();
        for (LoraConfig.Target t : LoraConfig.Target.values()) {
            if (!has(t)) continue;
            int in = inDim(model, t), o = outDim(model, t);
            for (int l = 0; l < model.nLayers(); l++) {
                float[] w = baseMatrix(out, t, l), am = a[t.ordinal()][l], bm = b[t.ordinal()][l];
                for (int i = 0; i < o; i++) {
                    for (int k = 0; k < r; k++) {
                        float f = s * bm[i * r + k];
                        if (f == 0f) continue;
                        for (int j = 0; j < in; j++) w[i * in + j] += f * am[k * in + j];
                    }
                }
            }
        }
        return out;
    }
}
