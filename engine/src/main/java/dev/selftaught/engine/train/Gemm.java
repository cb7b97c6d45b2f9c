package dev.selftaught.engine.train;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one matrix-multiply kernel the trainer needs, in register-tiled outer-product form:
 * {@code C[i][j] (+)= sum_k A(i,k) * B[k][j]} where {@code B} is row-major and {@code A} is read
 * through arbitrary strides, so the same kernel serves {@code A·B} ({@code ais=K, aks=1}) and
 * {@code Aᵀ·B} ({@code ais=1, aks=M}).
 *
 * <p>Every element of {@code C} is one fused-multiply-add chain over {@code k = 0..K-1} in order,
 * whatever the tiling or the thread split, so results are bitwise reproducible and independent of
 * the thread count.
 */
public final class Gemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final int ROWS = 4;

    private Gemm() {}

    /**
     * @param a   A's array; element (i,k) at {@code aOff + i*ais + k*aks}
     * @param b   B's array, row-major [K][ldb] starting at bOff
     * @param c   C's array, row-major [M][ldc] starting at cOff
     * @param accumulate add to C instead of overwriting it
     */
    public static void mul(Workers w, float[] a, int aOff, int ais, int aks,
                           float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc,
                           int M, int N, int K, boolean accumulate) {
        if (M <= 0 || N <= 0) return;
        if (K <= 0) {
            if (!accumulate) for (int i = 0; i < M; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + N, 0f);
            return;
        }
        int threads = w == null ? 1 : w.threads();
        if (threads == 1) {
            block(a, aOff, ais, aks, b, bOff, ldb, c, cOff, ldc, 0, M, 0, N, K, accumulate);
        } else if (M >= ROWS * threads * 4 || N < 4 * L * threads) {
            w.forRange(M, ROWS, (from, to) -> block(a, aOff, ais, aks, b, bOff, ldb, c, cOff, ldc, from, to, 0, N, K, accumulate));
        } else {
            w.forRange(N, 4 * L, (from, to) -> block(a, aOff, ais, aks, b, bOff, ldb, c, cOff, ldc, 0, M, from, to, K, accumulate));
        }
    }

    /** Plain {@code C = A·B} with A [M][K], B [K][N], C [M][N] all contiguous. */
    public static void nn(Workers w, float[] a, float[] b, float[] c, int M, int N, int K, boolean accumulate) {
        mul(w, a, 0, K, 1, b, 0, N, c, 0, N, M, N, K, accumulate);
    }

    private static void block(float[] a, int aOff, int ais, int aks, float[] b, int bOff, int ldb,
                              float[] c, int cOff, int ldc, int i0, int i1, int j0, int j1, int K, boolean acc) {
        // K is cut into slabs of KB so a packed B panel (KB x 4L floats) stays in L2 while every
        // row tile uses it; slabs after the first add to C. The slab size is fixed, so the
        // summation order never depends on the thread split.
        for (int kb = 0; kb < K; kb += KB) {
            int kn = Math.min(KB, K - kb);
            boolean accK = acc || kb > 0;
            int ao = aOff + kb * aks, bo0 = bOff + kb * ldb;
            int j = j0;
            boolean pack = i1 - i0 >= 2 * ROWS;
            float[] panel = pack ? panel(kn * 4 * L) : null;
            for (; j + 4 * L <= j1; j += 4 * L) {
                float[] bb = b;
                int bo = bo0 + j, lb = ldb;
                if (pack) {
                    for (int k = 0; k < kn; k++) System.arraycopy(b, bo0 + k * ldb + j, panel, k * 4 * L, 4 * L);
                    bb = panel;
                    bo = 0;
                    lb = 4 * L;
                }
                int i = i0;
                for (; i + ROWS <= i1; i += ROWS) tile4x4(a, ao, ais, aks, bb, bo, lb, c, cOff + j, ldc, i, 0, kn, accK);
                for (; i < i1; i++) tile1x4(a, ao, ais, aks, bb, bo, lb, c, cOff + j, ldc, i, 0, kn, accK);
            }
            for (; j + 2 * L <= j1; j += 2 * L) {
                int i = i0;
                for (; i + ROWS <= i1; i += ROWS) tile4x2(a, ao, ais, aks, b, bo0, ldb, c, cOff, ldc, i, j, kn, accK);
                for (; i < i1; i++) {
                    tile1x1(a, ao, ais, aks, b, bo0, ldb, c, cOff, ldc, i, j, kn, accK, null);
                    tile1x1(a, ao, ais, aks, b, bo0, ldb, c, cOff, ldc, i, j + L, kn, accK, null);
                }
            }
            for (; j + L <= j1; j += L) {
                int i = i0;
                for (; i + ROWS <= i1; i += ROWS) tile4x1(a, ao, ais, aks, b, bo0, ldb, c, cOff, ldc, i, j, kn, accK, null);
                for (; i < i1; i++) tile1x1(a, ao, ais, aks, b, bo0, ldb, c, cOff, ldc, i, j, kn, accK, null);
            }
            if (j < j1) {
                VectorMask<Float> m = S.indexInRange(j, j1);
                int i = i0;
                for (; i + ROWS <= i1; i += ROWS) tile4x1(a, ao, ais, aks, b, bo0, ldb, c, cOff, ldc, i, j, kn, accK, m);
                for (; i < i1; i++) tile1x1(a, ao, ais, aks, b, bo0, ldb, c, cOff, ldc, i, j, kn, accK, m);
            }
        }
    }

    private static final int KB = 256;

    private static void tile4x2(float[] a, int aOff, int ais, int aks, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, int i, int j, int K, boolean acc) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        int cp = cOff + i * ldc + j;
        if (acc) {
            c00 = FloatVector.fromArray(S, c, cp); c01 = FloatVector.fromArray(S, c, cp + L);
            c10 = FloatVector.fromArray(S, c, cp + ldc); c11 = FloatVector.fromArray(S, c, cp + ldc + L);
            c20 = FloatVector.fromArray(S, c, cp + 2 * ldc); c21 = FloatVector.fromArray(S, c, cp + 2 * ldc + L);
            c30 = FloatVector.fromArray(S, c, cp + 3 * ldc); c31 = FloatVector.fromArray(S, c, cp + 3 * ldc + L);
        }
        int ar = aOff + i * ais;
        int bp = bOff + j;
        for (int k = 0; k < K; k++, ar += aks, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector av = FloatVector.broadcast(S, a[ar]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ar + ais]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ar + 2 * ais]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ar + 3 * ais]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
        }
        c00.intoArray(c, cp); c01.intoArray(c, cp + L); cp += ldc;
        c10.intoArray(c, cp); c11.intoArray(c, cp + L); cp += ldc;
        c20.intoArray(c, cp); c21.intoArray(c, cp + L); cp += ldc;
        c30.intoArray(c, cp); c31.intoArray(c, cp + L);
    }

    private static final ThreadLocal<float[]> PANEL = new ThreadLocal<>();

    private static float[] panel(int n) {
        float[] p = PANEL.get();
        if (p == null || p.length < n) { p = new float[n]; PANEL.set(p); }
        return p;
    }

    private static void tile4x4(float[] a, int aOff, int ais, int aks, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, int i, int j, int K, boolean acc) {
        // Accumulators start from C when accumulating, so the result is one FMA chain and the
        // stores are plain (a helper with a branch here defeats C2's inlining budget).
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
        int cp = cOff + i * ldc + j;
        if (acc) {
            c00 = FloatVector.fromArray(S, c, cp); c01 = FloatVector.fromArray(S, c, cp + L);
            c02 = FloatVector.fromArray(S, c, cp + 2 * L); c03 = FloatVector.fromArray(S, c, cp + 3 * L);
            c10 = FloatVector.fromArray(S, c, cp + ldc); c11 = FloatVector.fromArray(S, c, cp + ldc + L);
            c12 = FloatVector.fromArray(S, c, cp + ldc + 2 * L); c13 = FloatVector.fromArray(S, c, cp + ldc + 3 * L);
            c20 = FloatVector.fromArray(S, c, cp + 2 * ldc); c21 = FloatVector.fromArray(S, c, cp + 2 * ldc + L);
            c22 = FloatVector.fromArray(S, c, cp + 2 * ldc + 2 * L); c23 = FloatVector.fromArray(S, c, cp + 2 * ldc + 3 * L);
            c30 = FloatVector.fromArray(S, c, cp + 3 * ldc); c31 = FloatVector.fromArray(S, c, cp + 3 * ldc + L);
            c32 = FloatVector.fromArray(S, c, cp + 3 * ldc + 2 * L); c33 = FloatVector.fromArray(S, c, cp + 3 * ldc + 3 * L);
        }
        int ar = aOff + i * ais;
        int bp = bOff + j;
        for (int k = 0; k < K; k++, ar += aks, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bp + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bp + 3 * L);
            FloatVector av = FloatVector.broadcast(S, a[ar]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01); c02 = av.fma(b2, c02); c03 = av.fma(b3, c03);
            av = FloatVector.broadcast(S, a[ar + ais]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11); c12 = av.fma(b2, c12); c13 = av.fma(b3, c13);
            av = FloatVector.broadcast(S, a[ar + 2 * ais]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21); c22 = av.fma(b2, c22); c23 = av.fma(b3, c23);
            av = FloatVector.broadcast(S, a[ar + 3 * ais]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31); c32 = av.fma(b2, c32); c33 = av.fma(b3, c33);
        }
        c00.intoArray(c, cp); c01.intoArray(c, cp + L); c02.intoArray(c, cp + 2 * L); c03.intoArray(c, cp + 3 * L);
        cp += ldc;
        c10.intoArray(c, cp); c11.intoArray(c, cp + L); c12.intoArray(c, cp + 2 * L); c13.intoArray(c, cp + 3 * L);
        cp += ldc;
        c20.intoArray(c, cp); c21.intoArray(c, cp + L); c22.intoArray(c, cp + 2 * L); c23.intoArray(c, cp + 3 * L);
        cp += ldc;
        c30.intoArray(c, cp); c31.intoArray(c, cp + L); c32.intoArray(c, cp + 2 * L); c33.intoArray(c, cp + 3 * L);
    }

    private static void tile1x4(float[] a, int aOff, int ais, int aks, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, int i, int j, int K, boolean acc) {
        int cp = cOff + i * ldc + j;
        FloatVector c0, c1, c2, c3;
        if (acc) {
            c0 = FloatVector.fromArray(S, c, cp); c1 = FloatVector.fromArray(S, c, cp + L);
            c2 = FloatVector.fromArray(S, c, cp + 2 * L); c3 = FloatVector.fromArray(S, c, cp + 3 * L);
        } else {
            c0 = c1 = c2 = c3 = FloatVector.zero(S);
        }
        int ar = aOff + i * ais;
        int bp = bOff + j;
        for (int k = 0; k < K; k++, ar += aks, bp += ldb) {
            FloatVector av = FloatVector.broadcast(S, a[ar]);
            c0 = av.fma(FloatVector.fromArray(S, b, bp), c0);
            c1 = av.fma(FloatVector.fromArray(S, b, bp + L), c1);
            c2 = av.fma(FloatVector.fromArray(S, b, bp + 2 * L), c2);
            c3 = av.fma(FloatVector.fromArray(S, b, bp + 3 * L), c3);
        }
        c0.intoArray(c, cp); c1.intoArray(c, cp + L); c2.intoArray(c, cp + 2 * L); c3.intoArray(c, cp + 3 * L);
    }

    private static void tile4x1(float[] a, int aOff, int ais, int aks, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, int i, int j, int K, boolean acc, VectorMask<Float> m) {
        if (m != null) {
            for (int r = 0; r < ROWS; r++) scalarRow(a, aOff, ais, aks, b, bOff, ldb, c, cOff, ldc, i + r, j, K, acc, m.trueCount());
            return;
        }
        int cp = cOff + i * ldc + j;
        FloatVector c0, c1, c2, c3;
        if (acc) {
            c0 = FloatVector.fromArray(S, c, cp); c1 = FloatVector.fromArray(S, c, cp + ldc);
            c2 = FloatVector.fromArray(S, c, cp + 2 * ldc); c3 = FloatVector.fromArray(S, c, cp + 3 * ldc);
        } else {
            c0 = c1 = c2 = c3 = FloatVector.zero(S);
        }
        int ar = aOff + i * ais;
        int bp = bOff + j;
        for (int k = 0; k < K; k++, ar += aks, bp += ldb) {
            FloatVector bv = FloatVector.fromArray(S, b, bp);
            c0 = FloatVector.broadcast(S, a[ar]).fma(bv, c0);
            c1 = FloatVector.broadcast(S, a[ar + ais]).fma(bv, c1);
            c2 = FloatVector.broadcast(S, a[ar + 2 * ais]).fma(bv, c2);
            c3 = FloatVector.broadcast(S, a[ar + 3 * ais]).fma(bv, c3);
        }
        c0.intoArray(c, cp); c1.intoArray(c, cp + ldc); c2.intoArray(c, cp + 2 * ldc); c3.intoArray(c, cp + 3 * ldc);
    }

    private static void tile1x1(float[] a, int aOff, int ais, int aks, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, int i, int j, int K, boolean acc, VectorMask<Float> m) {
        if (m != null) {
            scalarRow(a, aOff, ais, aks, b, bOff, ldb, c, cOff, ldc, i, j, K, acc, m.trueCount());
            return;
        }
        int cp = cOff + i * ldc + j;
        FloatVector c0 = acc ? FloatVector.fromArray(S, c, cp) : FloatVector.zero(S);
        int ar = aOff + i * ais;
        int bp = bOff + j;
        for (int k = 0; k < K; k++, ar += aks, bp += ldb) {
            c0 = FloatVector.broadcast(S, a[ar]).fma(FloatVector.fromArray(S, b, bp), c0);
        }
        c0.intoArray(c, cp);
    }

    /** Fewer than L columns (e.g. a LoRA rank of 8): scalar FMA chains, the same arithmetic as the lanes. */
    private static void scalarRow(float[] a, int aOff, int ais, int aks, float[] b, int bOff, int ldb,
                                  float[] c, int cOff, int ldc, int i, int j, int K, boolean acc, int width) {
        int cp = cOff + i * ldc + j;
        for (int x = 0; x < width; x++) {
            float s = acc ? c[cp + x] : 0f;
            int ar = aOff + i * ais, bp = bOff + j + x;
            for (int k = 0; k < K; k++, ar += aks, bp += ldb) s = Math.fma(a[ar], b[bp], s);
            c[cp + x] = s;
        }
    }

    /** {@code dst[c][r] = src[r][c]} for a [rows][cols] matrix, in parallel over column blocks. */
    public static void transpose(Workers w, float[] src, int srcOff, int rows, int cols, float[] dst, int dstOff) {
        int blk = 32;
        Workers.RangeTask t = (from, to) -> {
            for (int c0 = from; c0 < to; c0 += blk) {
                int c1 = Math.min(to, c0 + blk);
                for (int r0 = 0; r0 < rows; r0 += blk) {
                    int r1 = Math.min(rows, r0 + blk);
                    for (int c = c0; c < c1; c++) {
                        int d = dstOff + c * rows;
                        for (int r = r0; r < r1; r++) dst[d + r] = src[srcOff + r * cols + c];
                    }
                }
            }
        };
        if (w == null || (long) rows * cols < 65536) t.run(0, cols); else w.forRange(cols, blk, t);
    }

    /** Dot product of two float runs, vectorised with a fixed lane order (deterministic). */
    public static float dot(float[] x, int xo, float[] y, int yo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= n; i += L) acc = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), acc);
        // Lanes summed in index order: reduceLanes may reorder, which would break bitwise resume.
        float s = 0f;
        for (int l = 0; l < L; l++) s += acc.lane(l);
        for (; i < n; i++) s += x[xo + i] * y[yo + i];
        return s;
    }

    /** {@code y[yo..] += alpha * x[xo..]} for n elements. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (; i + L <= n; i += L) av.fma(FloatVector.fromArray(S, x, xo + i), FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }
}
