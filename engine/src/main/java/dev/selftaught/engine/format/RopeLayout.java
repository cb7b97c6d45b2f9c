package dev.selftaught.engine.format;

/**
 * Row permutations between the two rotary-embedding layouts of q/k projections.
 *
 * <p>The engine keeps the adjacent-pair layout: within each head, rows (2i, 2i+1) form rotation
 * pair i. HF checkpoints (and GGUF files of the NEOX-rope architectures such as qwen2) use the
 * "rotate half" layout: rows i and i + headSize/2 form pair i. Reading such a checkpoint maps HF
 * row {@code h*hs + i} to adjacent row {@code h*hs + 2i} and HF row {@code h*hs + hs/2 + i} to
 * {@code h*hs + 2i + 1}.
 */
public final class RopeLayout {
    private RopeLayout() {}

    /** Rotate-half rows to adjacent-pair rows. {@code cols} = 1 for a bias vector. */
    public static float[] fromRotateHalf(float[] w, int nHeads, int headSize, int cols) {
        check(w, nHeads, headSize, cols);
        float[] out = new float[w.length];
        int half = headSize / 2;
        for (int h = 0; h < nHeads; h++) {
            for (int i = 0; i < half; i++) {
                System.arraycopy(w, (h * headSize + i) * cols, out, (h * headSize + 2 * i) * cols, cols);
                System.arraycopy(w, (h * headSize + half + i) * cols, out, (h * headSize + 2 * i + 1) * cols, cols);
            }
        }
        return out;
    }

    /** Adjacent-pair rows to rotate-half rows (inverse of {@link #fromRotateHalf}). */
    public static float[] toRotateHalf(float[] w, int nHeads, int headSize, int cols) {
        check(w, nHeads, headSize, cols);
        float[] out = new float[w.length];
        int half = headSize / 2;
        for (int h = 0; h < nHeads; h++) {
            for (int i = 0; i < half; i++) {
                System.arraycopy(w, (h * headSize + 2 * i) * cols, out, (h * headSize + i) * cols, cols);
                System.arraycopy(w, (h * headSize + 2 * i + 1) * cols, out, (h * headSize + half + i) * cols, cols);
            }
        }
        return out;
    }

    private static void check(float[] w, int nHeads, int headSize, int cols) {
        if ((long) nHeads * headSize * cols != w.length) {
            throw new IllegalArgumentException("rope permutation: " + w.length + " values, expected " + nHeads + "x" + headSize + "x" + cols);
        }
    }

    /**
     * Llama-3 per-frequency divisors (what GGUF stores as {@code rope_freqs.weight}): entry i divides
     * the rotary frequency theta^(-2i/headSize).
     */
    public static float[] llama3FrequencyDivisors(dev.selftaught.engine.model.LlamaConfig.RopeScaling s, float theta, int headSize) {
        float[] f = new float[headSize / 2];
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        for (int i = 0; i < f.length; i++) {
            double freq = Math.pow(theta, -2.0 * i / headSize);
            double wavelen = 2 * Math.PI / freq;
            double scaled;
            if (wavelen < highWavelen) scaled = freq;
            else if (wavelen > lowWavelen) scaled = freq / s.factor();
            else {
                double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                scaled = (1 - smooth) * freq / s.factor() + smooth * freq;
            }
            f[i] = (float) (freq / scaled);
        }
        return f;
    }
}
