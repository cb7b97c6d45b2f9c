package dev.selftaught.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** Kernels against straightforward double-precision loops. */
class KernelsTest {
    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    @Test
    void matmulMatchesNaiveForAllTileShapes() {
        for (int[] shape : new int[][] {{7, 5, 3}, {16, 64, 4}, {13, 172, 9}, {4, 3, 1}}) {
            int rows = shape[0], in = shape[1], m = shape[2];
            float[] w = random(rows * in, 1), x = random(m * in, 2);
            float[] out = new float[m * rows];
            Kernels.matmul(out, rows, false, x, m, w, in, 0, rows);
            for (int s = 0; s < m; s++) {
                for (int r = 0; r < rows; r++) {
                    double d = 0;
                    for (int i = 0; i < in; i++) d += (double) w[r * in + i] * x[s * in + i];
                    assertEquals(d, out[s * rows + r], 1e-4, "shape " + java.util.Arrays.toString(shape));
                }
            }
            float[] acc = out.clone();
            Kernels.matmul(acc, rows, true, x, m, w, in, 0, rows);
            for (int i = 0; i < acc.length; i++) assertEquals(2 * out[i], acc[i], 1e-5);
        }
    }

    @Test
    void tilingDoesNotChangeBits() {
        int rows = 12, in = 37, m = 6;
        float[] w = random(rows * in, 3), x = random(m * in, 4);
        float[] all = new float[m * rows];
        Kernels.matmul(all, rows, false, x, m, w, in, 0, rows);
        for (int s = 0; s < m; s++) {
            float[] one = new float[rows];
            Kernels.matmul(one, rows, false, java.util.Arrays.copyOfRange(x, s * in, (s + 1) * in), 1, w, in, 0, rows);
            for (int r = 0; r < rows; r++) {
                assertEquals(Float.floatToIntBits(one[r]), Float.floatToIntBits(all[s * rows + r]));
                assertEquals(Float.floatToIntBits(Kernels.dot(w, r * in, x, s * in, in)), Float.floatToIntBits(one[r]));
            }
        }
    }

    @Test
    void expIsAccurateAndVectorAgreesWithScalar() {
        float[] xs = new float[1000];
        for (int i = 0; i < xs.length; i++) xs[i] = -80f + 160f * i / xs.length;
        for (float x : xs) {
            double e = Math.exp(Math.min(88, Math.max(-87, x)));
            assertEquals(e, Kernels.exp(x), e * 3e-7, "exp(" + x + ")");
        }
        // The vector exp must agree bit for bit with the scalar twin (the loop tails use it).
        float[] v = new float[xs.length];
        int bound = Kernels.S.loopBound(xs.length);
        assertTrue(bound > 0, "no full vector in " + xs.length + " values");
        for (int i = 0; i < bound; i += Kernels.lanes()) {
            Kernels.exp(jdk.incubator.vector.FloatVector.fromArray(Kernels.S, xs, i)).intoArray(v, i);
        }
        for (int i = 0; i < bound; i++) {
            assertEquals(Float.floatToIntBits(Kernels.exp(xs[i])), Float.floatToIntBits(v[i]), "vector exp(" + xs[i] + ")");
        }
        float[] a = random(100, 5);
        for (int i = 0; i < a.length; i++) a[i] *= 20;
        float[] sm = a.clone();
        Kernels.softmax(sm, 0, sm.length);
        double max = Double.NEGATIVE_INFINITY, z = 0;
        for (float f : a) max = Math.max(max, f);
        for (float f : a) z += Math.exp(f - max);
        for (int i = 0; i < a.length; i++) assertEquals(Math.exp(a[i] - max) / z, sm[i], 1e-6);
    }

    @Test
    void rmsnormSwigluAndAttentionScores() {
        float[] x = random(70, 6), w = random(70, 7), out = new float[70];
        Kernels.rmsnorm(out, 0, x, 0, w, 70, 1e-5f);
        double ss = 0;
        for (float f : x) ss += f * f;
        double scale = 1 / Math.sqrt(ss / 70 + 1e-5);
        for (int i = 0; i < 70; i++) assertEquals(x[i] * scale * w[i], out[i], 1e-5);

        float[] g = random(40, 8), u = random(40, 9), g2 = g.clone();
        Kernels.swiglu(g2, u, 0, 40);
        for (int i = 0; i < 40; i++) assertEquals(g[i] / (1 + Math.exp(-g[i])) * u[i], g2[i], 1e-6);

        int hs = 8, n = 35, cap = 40;
        float[] q = random(hs, 10), kt = random(hs * cap, 11), sc = new float[n];
        Kernels.attentionScores(sc, n, q, 0, kt, 0, cap, hs, 0.5f);
        for (int t = 0; t < n; t++) {
            double d = 0;
            for (int j = 0; j < hs; j++) d += q[j] * kt[j * cap + t];
            assertEquals(0.5 * d, sc[t], 1e-5);
        }
    }

    @Test
    void threadTeamCoversEveryIndexOnceAndPropagatesErrors() {
        try (ThreadTeam team = new ThreadTeam(2)) {
            for (int n : new int[] {1, 7, 100, 1001}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                team.parallelFor(n, 1, (a, b, w) -> { for (int i = a; i < b; i++) hits.incrementAndGet(i); });
                for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n);
            }
            assertThrows(IllegalStateException.class, () -> team.parallelFor(1000, 1, (a, b, w) -> {
                if (a > 500) throw new IllegalStateException("boom");
            }));
            AtomicIntegerArray after = new AtomicIntegerArray(1);
            team.parallelFor(64, 1, (a, b, w) -> after.addAndGet(0, b - a));
            assertEquals(64, after.get(0), "the team still works after a failure");
        }
    }
}
