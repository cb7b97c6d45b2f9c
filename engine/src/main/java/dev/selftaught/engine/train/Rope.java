package dev.selftaught.engine.train;

import dev.selftaught.engine.model.LlamaConfig;

/**
 * Rotary position embedding with the adjacent-pair convention: pair {@code (2i, 2i+1)} of each
 * head is rotated by {@code pos · freq_i}, {@code freq_i = theta^(-2i/headSize)} (optionally
 * rescaled the Llama-3.1 way). The backward pass is the rotation by the opposite angle.
 */
final class Rope {
    final int half;
    final int maxPos;
    final float[] cos, sin; // [maxPos][half]

    Rope(LlamaConfig c) {
        int hs = c.headSize();
        half = hs / 2;
        maxPos = c.maxSeqLen();
        cos = new float[maxPos * half];
        sin = new float[maxPos * half];
        double[] freq = frequencies(c);
        for (int p = 0; p < maxPos; p++) {
            for (int i = 0; i < half; i++) {
                double a = p * freq[i];
                cos[p * half + i] = (float) Math.cos(a);
                sin[p * half + i] = (float) Math.sin(a);
            }
        }
    }

    static double[] frequencies(LlamaConfig c) {
        int hs = c.headSize();
        double[] f = new double[hs / 2];
        for (int i = 0; i < f.length; i++) f[i] = Math.pow(c.ropeTheta(), -2.0 * i / hs);
        LlamaConfig.RopeScaling s = c.ropeScaling();
        if (s != null) {
            double lowWave = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
            double highWave = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
            for (int i = 0; i < f.length; i++) {
                double wave = 2 * Math.PI / f[i];
                if (wave < highWave) continue;
                if (wave > lowWave) { f[i] /= s.factor(); continue; }
                double smooth = (s.originalMaxPositionEmbeddings() / wave - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                f[i] = (1 - smooth) * f[i] / s.factor() + smooth * f[i];
            }
        }
        return f;
    }

    /** Rotates every head of rows [from,to) of x ([rows][width], heads of size 2*half) in place; sign -1 undoes it. */
    void apply(float[] x, int width, int[] positions, int from, int to, int sign) {
        for (int n = from; n < to; n++) {
            int pos = positions[n];
            if (pos < 0 || pos >= maxPos) throw new IllegalArgumentException("position " + pos + " outside the model's context of " + maxPos);
            int tb = pos * half;
            for (int h = 0; h < width; h += 2 * half) {
                int base = n * width + h;
                for (int i = 0; i < half; i++) {
                    float c = cos[tb + i], s = sign * sin[tb + i];
                    float x0 = x[base + 2 * i], x1 = x[base + 2 * i + 1];
                    x[base + 2 * i] = x0 * c - x1 * s;
                    x[base + 2 * i + 1] = x0 * s + x1 * c;
                }
            }
        }
    }
}
