package dev.selftaught.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels of the forward pass. All work on plain float arrays with explicit offsets so
 * that the caller can keep every buffer preallocated.
 *
 * <p>Determinism rule: every dot product (whatever tile of the matmul it is computed in) uses the
 * same sequence of operations: one vector accumulator fed by {@code fma} over the full vectors in
 * order, a fixed-order lane sum, then the scalar tail in order. A row therefore gets bit-identical
 * results whether it is computed alone or in a batch with other rows, which is what makes batched
 * decoding give exactly the tokens of decoding each sequence alone.
 *
 * <p>Two Vector API operations are avoided because their results may depend on whether the code
 * runs interpreted or JIT-compiled (and so on timing): {@code reduceLanes(ADD)} on floats (whose
 * order of additions is unspecified) and the transcendental {@code EXP}. {@link #sum} reduces in a
 * fixed tree order and {@link #exp} is a polynomial built from exact IEEE operations, with a
 * scalar twin that computes bit-identical values for the loop tails.
 */
public final class Kernels {
    private Kernels() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Vector width in floats used by these kernels (16 with AVX-512, 8 with AVX2). */
    public static int lanes() { return L; }

    private static final jdk.incubator.vector.VectorShuffle<Float> SWAP1 = jdk.incubator.vector.VectorShuffle.fromOp(S, i -> i ^ 1);
    private static final jdk.incubator.vector.VectorShuffle<Float> SWAP2 = jdk.incubator.vector.VectorShuffle.fromOp(S, i -> i ^ 2);
    private static final jdk.incubator.vector.VectorShuffle<Float> SWAP4 = jdk.incubator.vector.VectorShuffle.fromOp(S, i -> i ^ (L >= 8 ? 4 : 0));
    private static final jdk.incubator.vector.VectorShuffle<Float> SWAP8 = jdk.incubator.vector.VectorShuffle.fromOp(S, i -> i ^ (L >= 16 ? 8 : 0));

    /** Sum of the lanes, always added in the same tree order (unlike {@code reduceLanes(ADD)}). */
    public static float sum(FloatVector v) {
        if (L >= 16) v = v.add(v.rearrange(SWAP8));
        if (L >= 8) v = v.add(v.rearrange(SWAP4));
        if (L >= 4) v = v.add(v.rearrange(SWAP2));
        v = v.add(v.rearrange(SWAP1));
        return v.lane(0);
    }

    // exp(x) = 2^k * p(r), x = k ln2 + r, |r| <= ln2/2; p is the degree-6 Taylor polynomial
    // (relative error about 2e-7, below float resolution for softmax and SiLU).
    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND_MAGIC = 12582912f; // 1.5 * 2^23: adding it rounds to an integer
    private static final float EXP_MIN = -87f, EXP_MAX = 88f;
    private static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720;

    /** e^x for a vector; lanes agree bit for bit with {@link #exp(float)}. */
    static FloatVector exp(FloatVector x) {
        x = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector t = x.mul(LOG2E).add(ROUND_MAGIC);
        FloatVector kf = t.sub(ROUND_MAGIC);
        FloatVector r = kf.neg().fma(FloatVector.broadcast(S, LN2_HI), x);
        r = kf.neg().fma(FloatVector.broadcast(S, LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(S, C6), FloatVector.broadcast(S, C5));
        p = p.fma(r, FloatVector.broadcast(S, C4));
        p = p.fma(r, FloatVector.broadcast(S, C3));
        p = p.fma(r, FloatVector.broadcast(S, C2));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        jdk.incubator.vector.IntVector k = kf.convert(VectorOperators.F2I, 0).reinterpretAsInts();
        FloatVector scale = k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale);
    }

    /** Scalar twin of {@link #exp(FloatVector)}. */
    public static float exp(float x) {
        x = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        float t = x * LOG2E + ROUND_MAGIC;
        float kf = t - ROUND_MAGIC;
        float r = Math.fma(-kf, LN2_HI, x);
        r = Math.fma(-kf, LN2_LO, r);
        float p = Math.fma(r, C6, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat(((int) kf + 127) << 23);
    }

    /** Dot product of {@code a[aOff..aOff+n)} and {@code b[bOff..bOff+n)}. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int bound = S.loopBound(n);
        float sum = 0f;
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = 0; i < bound; i += L) {
                acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
            }
            sum = sum(acc);
        }
        for (int i = bound; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    /**
     * Batched matrix product over output rows {@code [r0, r1)} of {@code w} ({@code [rows][in]},
     * row-major): for every input row {@code s < m} of {@code x} ({@code [m][in]}),
     * {@code out[s*outStride + r] (+)= dot(w[r], x[s])}. With {@code accumulate} the result is
     * added to {@code out} (used to fuse the residual connection).
     *
     * <p>Tiles of 4 weight rows x 4 input rows keep 16 accumulators in registers, so each weight
     * vector is loaded once per 4 sequences and a 4-row block of weights stays in L1 while all
     * sequences pass over it.
     */
    public static void matmul(float[] out, int outStride, boolean accumulate, float[] x, int m,
                              float[] w, int in, int r0, int r1) {
        matmulRows(out, outStride, r0, accumulate, x, m, w, r0, r1 - r0, in);
    }

    /**
     * The same product for {@code n} consecutive rows of {@code w} starting at row {@code wRow0},
     * written to output columns starting at {@code outCol0}: {@code out[s*outStride + outCol0 + i]
     * (+)= dot(w[wRow0 + i], x[s])}. Quantized matrices dequantize a few rows into a scratch
     * buffer and call this, so every storage type shares these register tiles (and their
     * operation order, hence bit-identical results).
     */
    public static void matmulRows(float[] out, int outStride, int outCol0, boolean accumulate, float[] x, int m,
                                  float[] w, int wRow0, int n, int in) {
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            int s = 0;
            for (; s + 4 <= m; s += 4) tile4x4(out, outStride, outCol0 + i, accumulate, x, s, w, in, wRow0 + i);
            for (; s < m; s++) tile4x1(out, outStride, outCol0 + i, accumulate, x, s, w, in, wRow0 + i);
        }
        for (; i < n; i++) {
            for (int s = 0; s < m; s++) {
                float d = dot(w, (wRow0 + i) * in, x, s * in, in);
                int o = s * outStride + outCol0 + i;
                out[o] = accumulate ? out[o] + d : d;
            }
        }
    }

    private static void tile4x1(float[] out, int outStride, int col, boolean accumulate, float[] x, int s, float[] w, int in, int r) {
        int bound = S.loopBound(in);
        int w0 = r * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in, x0 = s * in;
        float d0 = 0f, d1 = 0f, d2 = 0f, d3 = 0f;
        if (bound > 0) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < bound; i += L) {
                FloatVector xv = FloatVector.fromArray(S, x, x0 + i);
                a0 = FloatVector.fromArray(S, w, w0 + i).fma(xv, a0);
                a1 = FloatVector.fromArray(S, w, w1 + i).fma(xv, a1);
                a2 = FloatVector.fromArray(S, w, w2 + i).fma(xv, a2);
                a3 = FloatVector.fromArray(S, w, w3 + i).fma(xv, a3);
            }
            // through a lane buffer, not sum(FloatVector): a vector handed to a method C2 does not
            // inline is boxed (an allocation per row, and slower)
            float[] lanes = LANES.get();
            a0.intoArray(lanes, 0);
            a1.intoArray(lanes, L);
            a2.intoArray(lanes, 2 * L);
            a3.intoArray(lanes, 3 * L);
            d0 = sumLanes(lanes, 0);
            d1 = sumLanes(lanes, L);
            d2 = sumLanes(lanes, 2 * L);
            d3 = sumLanes(lanes, 3 * L);
        }
        for (int i = bound; i < in; i++) {
            float xi = x[x0 + i];
            d0 += w[w0 + i] * xi;
            d1 += w[w1 + i] * xi;
            d2 += w[w2 + i] * xi;
            d3 += w[w3 + i] * xi;
        }
        int o = s * outStride + col;
        if (accumulate) {
            out[o] += d0; out[o + 1] += d1; out[o + 2] += d2; out[o + 3] += d3;
        } else {
            out[o] = d0; out[o + 1] = d1; out[o + 2] = d2; out[o + 3] = d3;
        }
    }

    private static void tile4x4(float[] out, int outStride, int col, boolean accumulate, float[] x, int s, float[] w, int in, int r) {
        int bound = S.loopBound(in);
        int w0 = r * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
        int x0 = s * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector z = FloatVector.zero(S);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        for (int i = 0; i < bound; i += L) {
            FloatVector v0 = FloatVector.fromArray(S, x, x0 + i);
            FloatVector v1 = FloatVector.fromArray(S, x, x1 + i);
            FloatVector v2 = FloatVector.fromArray(S, x, x2 + i);
            FloatVector v3 = FloatVector.fromArray(S, x, x3 + i);
            FloatVector u = FloatVector.fromArray(S, w, w0 + i);
            a00 = u.fma(v0, a00); a01 = u.fma(v1, a01); a02 = u.fma(v2, a02); a03 = u.fma(v3, a03);
            u = FloatVector.fromArray(S, w, w1 + i);
            a10 = u.fma(v0, a10); a11 = u.fma(v1, a11); a12 = u.fma(v2, a12); a13 = u.fma(v3, a13);
            u = FloatVector.fromArray(S, w, w2 + i);
            a20 = u.fma(v0, a20); a21 = u.fma(v1, a21); a22 = u.fma(v2, a22); a23 = u.fma(v3, a23);
            u = FloatVector.fromArray(S, w, w3 + i);
            a30 = u.fma(v0, a30); a31 = u.fma(v1, a31); a32 = u.fma(v2, a32); a33 = u.fma(v3, a33);
        }
        // Lanes go through a small buffer and are summed in sum()'s tree order by scalar code: passing
        // sixteen vectors to a helper that C2 declines to inline (this method is large) would box them.
        float[] lanes = LANES.get();
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a02.intoArray(lanes, 2 * L); a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L); a11.intoArray(lanes, 5 * L); a12.intoArray(lanes, 6 * L); a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L); a21.intoArray(lanes, 9 * L); a22.intoArray(lanes, 10 * L); a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L); a31.intoArray(lanes, 13 * L); a32.intoArray(lanes, 14 * L); a33.intoArray(lanes, 15 * L);
        int[] wo = {w0, w1, w2, w3}, xo = {x0, x1, x2, x3};
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                float sum = bound > 0 ? sumLanes(lanes, (4 * i + j) * L) : 0f;
                for (int k = bound; k < in; k++) sum += w[wo[i] + k] * x[xo[j] + k];
                int o = (s + j) * outStride + col + i;
                out[o] = accumulate ? out[o] + sum : sum;
            }
        }
    }

    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[16 * L]);

    /** The lanes {@code v[off..off+L)} summed in exactly the order of {@link #sum(FloatVector)} (overwrites them). */
    static float sumLanes(float[] v, int off) {
        // each step adds lane i^h to lane i, h = L/2, ..., 1; lane 0 ends with the total
        for (int h = L / 2; h >= 1; h /= 2) {
            for (int i = 0; i < h; i++) v[off + i] = v[off + i] + v[off + (i ^ h)];
        }
        return v[off];
    }

    /**
     * Attention scores against keys stored transposed ({@code kt[ktOff + d*stride + t]} is
     * dimension d of the key at position t): {@code out[t] = scale * sum_d q[qOff+d] * key_t[d]}
     * for {@code t < n}. Vectorised over positions, so it is fast for any head size.
     */
    public static void attentionScores(float[] out, int n, float[] q, int qOff, float[] kt, int ktOff, int stride,
                                       int headSize, float scale) {
        int bound = S.loopBound(n);
        int t = 0;
        for (; t < bound; t += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int d = 0; d < headSize; d++) {
                acc = FloatVector.fromArray(S, kt, ktOff + d * stride + t).fma(FloatVector.broadcast(S, q[qOff + d]), acc);
            }
            acc.mul(scale).intoArray(out, t);
        }
        for (; t < n; t++) {
            float acc = 0f;
            for (int d = 0; d < headSize; d++) acc = Math.fma(kt[ktOff + d * stride + t], q[qOff + d], acc);
            out[t] = acc * scale;
        }
    }

    /** {@code out[oOff..] = x[xOff..] / rms(x) * weight}, over {@code n} elements. */
    public static void rmsnorm(float[] out, int oOff, float[] x, int xOff, float[] weight, int n, float eps) {
        int bound = S.loopBound(n);
        float ss = 0f;
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = 0; i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + i);
                acc = v.fma(v, acc);
            }
            ss = sum(acc);
        }
        for (int i = bound; i < n; i++) ss += x[xOff + i] * x[xOff + i];
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, x, xOff + i).mul(scale).mul(FloatVector.fromArray(S, weight, i)).intoArray(out, oOff + i);
        }
        for (; i < n; i++) out[oOff + i] = x[xOff + i] * scale * weight[i];
    }

    /** In-place softmax of {@code x[off..off+n)}. */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) if (x[off + i] > max) max = x[off + i];
        int bound = S.loopBound(n);
        float sum = 0f;
        int i = 0;
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += L) {
                FloatVector e = FloatVector.fromArray(S, x, off + i).sub(max);
                e = exp(e);
                e.intoArray(x, off + i);
                acc = acc.add(e);
            }
            sum = sum(acc);
        }
        for (; i < n; i++) {
            float e = exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        i = 0;
        for (; i < bound; i += L) FloatVector.fromArray(S, x, off + i).mul(inv).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= inv;
    }

    /** SwiGLU gate: {@code a[i] = silu(a[i]) * b[i]} over {@code [off, off+n)}. */
    public static void swiglu(float[] a, float[] b, int off, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(S, a, off + i);
            FloatVector sig = exp(g.neg()).add(1f);
            g.div(sig).mul(FloatVector.fromArray(S, b, off + i)).intoArray(a, off + i);
        }
        for (; i < n; i++) {
            float g = a[off + i];
            a[off + i] = g / (exp(-g) + 1f) * b[off + i];
        }
    }

    /** {@code y[yOff..] += alpha * x[xOff..]} over {@code n} elements. */
    public static void axpy(float[] y, int yOff, float alpha, float[] x, int xOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        if (bound > 0) {
            FloatVector av = FloatVector.broadcast(S, alpha);
            for (; i < bound; i += L) {
                FloatVector.fromArray(S, x, xOff + i).fma(av, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }
}
