package dev.selftaught.engine.infer;

import dev.selftaught.engine.model.LlamaConfig;

/**
 * Rotary position embeddings in the adjacent-pair convention: dimensions {@code (2i, 2i+1)} of
 * each head are rotated by {@code pos * freq[i]}, with {@code freq[i] = theta^(-2i/headSize)},
 * optionally rescaled the Llama-3 way. Angles are computed per position (no table of
 * maxSeqLen x headSize, which would be large for long-context models).
 */
public final class Rope {
    private final float[] freq;

    public Rope(LlamaConfig c) {
        int half = c.headSize() / 2;
        freq = new float[half];
        for (int i = 0; i < half; i++) {
            double f = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.headSize());
            freq[i] = (float) (c.ropeScaling() == null ? f : llama3Scale(f, c.ropeScaling()));
        }
    }

    /**
     * Llama-3.1 frequency scaling: high frequencies (short wavelengths) are kept, low ones divided
     * by {@code factor}, and the band between interpolated smoothly.
     */
    static double llama3Scale(double f, LlamaConfig.RopeScaling s) {
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        double wavelen = 2 * Math.PI / f;
        if (wavelen < highWavelen) return f;
        if (wavelen > lowWavelen) return f / s.factor();
        double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
        return (1 - smooth) * f / s.factor() + smooth * f;
    }

    /** Frequencies per pair (exposed for tests and for the trainer). */
    public float[] frequencies() { return freq.clone(); }

    /** Fills {@code cos[i], sin[i]} for position {@code pos}. */
    public void angles(int pos, float[] cos, float[] sin) {
        for (int i = 0; i < freq.length; i++) {
            float val = pos * freq[i];
            cos[i] = (float) Math.cos(val);
            sin[i] = (float) Math.sin(val);
        }
    }

    /** Rotates {@code n} floats of {@code v} from {@code off} (whole heads) by the given angles. */
    public static void rotate(float[] v, int off, int n, int headSize, float[] cos, float[] sin) {
        int half = headSize / 2;
        for (int h = 0; h < n; h += headSize) {
            int base = off + h;
            for (int i = 0; i < half; i++) {
                float a = v[base + 2 * i], b = v[base + 2 * i + 1];
                v[base + 2 * i] = a * cos[i] - b * sin[i];
                v[base + 2 * i + 1] = a * sin[i] + b * cos[i];
            }
        }
    }

    /**
     * The same rotation in the rotate-half layout (HF, GGUF qwen2): dimension i of a head pairs
     * with i + headSize/2. Applied to q/k computed from unpermuted rotate-half rows it gives the
     * permuted image of {@link #rotate}, and attention scores are invariant under that permutation.
     */
    public static void rotateHalf(float[] v, int off, int n, int headSize, float[] cos, float[] sin) {
        int half = headSize / 2;
        for (int h = 0; h < n; h += headSize) {
            int base = off + h;
            for (int i = 0; i < half; i++) {
                float a = v[base + i], b = v[base + i + half];
                v[base + i] = a * cos[i] - b * sin[i];
                v[base + i + half] = a * sin[i] + b * cos[i];
            }
        }
    }
}
