package dev.selftaught.engine.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The optimised forward pass against a plain double-precision transcription of the Llama
 * equations (full recomputation of every position, no KV cache, no vectors, untransposed
 * keys), on configurations the stories260K oracle does not cover: Qwen2 q/k/v biases, grouped
 * query attention with several groups, Llama-3 rope scaling, an untied head, another rope theta.
 */
public class ReferenceForwardTest {

    /** Logits of the last position after feeding {@code tokens}, computed naively in doubles. */
    public static double[] reference(LlamaWeights w, int[] tokens) {
        LlamaConfig c = w.config;
        int T = tokens.length, d = c.dim(), hs = c.headSize(), kv = c.kvDim(), hd = c.hiddenDim();
        double[][] x = new double[T][d];
        for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) x[t][i] = w.tokenEmbedding[tokens[t] * d + i];
        for (int l = 0; l < c.nLayers(); l++) {
            double[][] q = new double[T][], k = new double[T][], v = new double[T][];
            for (int t = 0; t < T; t++) {
                double[] h = rms(x[t], w.attnNorm[l], c.normEps());
                q[t] = mat(w.wq[l], h, d, d, c.qkvBias() ? w.bq[l] : null);
                k[t] = mat(w.wk[l], h, kv, d, c.qkvBias() ? w.bk[l] : null);
                v[t] = mat(w.wv[l], h, kv, d, c.qkvBias() ? w.bv[l] : null);
                rotate(q[t], t, c);
                rotate(k[t], t, c);
            }
            for (int t = 0; t < T; t++) {
                double[] att = new double[d];
                for (int h = 0; h < c.nHeads(); h++) {
                    int g = h / (c.nHeads() / c.nKvHeads());
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u <= t; u++) {
                        double dot = 0;
                        for (int i = 0; i < hs; i++) dot += q[t][h * hs + i] * k[u][g * hs + i];
                        s[u] = dot / Math.sqrt(hs);
                        max = Math.max(max, s[u]);
                    }
                    double z = 0;
                    for (int u = 0; u <= t; u++) { s[u] = Math.exp(s[u] - max); z += s[u]; }
                    for (int u = 0; u <= t; u++) for (int i = 0; i < hs; i++) att[h * hs + i] += s[u] / z * v[u][g * hs + i];
                }
                double[] o = mat(w.wo[l], att, d, d, null);
                for (int i = 0; i < d; i++) x[t][i] += o[i];
                double[] h2 = rms(x[t], w.ffnNorm[l], c.normEps());
                double[] a = mat(w.w1[l], h2, hd, d, null), b = mat(w.w3[l], h2, hd, d, null);
                for (int i = 0; i < hd; i++) a[i] = a[i] / (1 + Math.exp(-a[i])) * b[i];
                double[] down = mat(w.w2[l], a, d, hd, null);
                for (int i = 0; i < d; i++) x[t][i] += down[i];
            }
        }
        return mat(w.output, rms(x[T - 1], w.finalNorm, c.normEps()), c.vocabSize(), d, null);
    }

    static double[] rms(double[] x, float[] g, float eps) {
        double ss = 0;
        for (double f : x) ss += f * f;
        double s = 1 / Math.sqrt(ss / x.length + eps);
        double[] o = new double[x.length];
        for (int i = 0; i < x.length; i++) o[i] = x[i] * s * g[i];
        return o;
    }

    static double[] mat(float[] w, double[] x, int rows, int in, float[] bias) {
        double[] o = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = bias == null ? 0 : bias[r];
            for (int i = 0; i < in; i++) s += w[r * in + i] * x[i];
            o[r] = s;
        }
        return o;
    }

    /** Adjacent-pair rotation; frequencies with Llama-3 scaling written out from its definition. */
    static void rotate(double[] v, int pos, LlamaConfig c) {
        int hs = c.headSize();
        for (int i = 0; i < v.length; i += 2) {
            int j = (i % hs) / 2;
            double f = Math.pow(c.ropeTheta(), -2.0 * j / hs);
            LlamaConfig.RopeScaling s = c.ropeScaling();
            if (s != null) {
                double wavelen = 2 * Math.PI / f;
                double lowWl = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
                double highWl = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
                if (wavelen > lowWl) f = f / s.factor();
                else if (wavelen >= highWl) {
                    double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                    f = (1 - smooth) * f / s.factor() + smooth * f;
                }
            }
            double a = pos * f, x0 = v[i], x1 = v[i + 1];
            v[i] = x0 * Math.cos(a) - x1 * Math.sin(a);
            v[i + 1] = x0 * Math.sin(a) + x1 * Math.cos(a);
        }
    }

    static void check(LlamaConfig c, long seed) {
        LlamaWeights w = new LlamaWeights(c).initRandom(seed);
        // Larger weights than the training init, so attention is not uniform and errors would show.
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (int l = 0; l < c.nLayers(); l++) {
            for (float[] m : new float[][] {w.wq[l], w.wk[l], w.wv[l]}) for (int i = 0; i < m.length; i++) m[i] *= 8;
            if (c.qkvBias()) {
                for (float[] b : new float[][] {w.bq[l], w.bk[l], w.bv[l]}) for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextDouble() - 0.5);
            }
            for (int i = 0; i < c.dim(); i++) w.attnNorm[l][i] = (float) (0.5 + r.nextDouble());
        }
        int[] tokens = new int[20];
        for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(c.vocabSize());
        try (ThreadTeam team = new ThreadTeam(2)) {
            Transformer t = new Transformer(w, 32, team);
            int slot = t.cache().allocate(tokens.length);
            // Prefill all but the last two, then two single steps: cache reads and writes both matter.
            int n = tokens.length - 2;
            int[] slots = new int[n], pos = new int[n];
            for (int i = 0; i < n; i++) { slots[i] = slot; pos[i] = i; }
            t.forward(n, slots, java.util.Arrays.copyOf(tokens, n), pos, new int[0], 0);
            for (int p = n; p < tokens.length; p++) {
                t.forward(1, new int[] {slot}, new int[] {tokens[p]}, new int[] {p}, new int[] {0}, 1);
            }
            double[] ref = reference(w, tokens);
            double scale = 0;
            for (double v : ref) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < ref.length; i++) {
                assertEquals(ref[i], t.logits()[i], 1e-4 * Math.max(1, scale), "logit " + i + " of " + c);
            }
        }
    }

    @Test
    void llamaWithGroupedQueryAttentionAndUntiedHead() {
        check(new LlamaConfig(64, 96, 2, 8, 2, 50, 32, 1e-5f, 10000f, null, false, false), 1);
    }

    @Test
    void qwen2BiasesAndAnotherTheta() {
        check(new LlamaConfig(48, 80, 2, 4, 2, 40, 32, 1e-6f, 1_000_000f, null, true, true), 2);
    }

    @Test
    void llama3RopeScaling() {
        // original context 8 and factor 4 so that all three frequency bands occur for head size 16
        var scaling = new LlamaConfig.RopeScaling(4f, 1f, 4f, 8);
        check(new LlamaConfig(64, 128, 2, 4, 1, 30, 32, 1e-5f, 500000f, scaling, true, false), 3);
    }
}
