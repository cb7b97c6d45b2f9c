package dev.selftaught.engine.train;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The matrix kernel against a plain double-precision triple loop, over shapes that hit every tile path. */
class GemmTest {
    @Test
    void matchesNaiveProductForAllTilePathsAndThreadCounts() {
        int[][] shapes = {{1, 1, 1}, {7, 13, 5}, {9, 100, 300}, {33, 70, 600}, {64, 48, 257}, {130, 200, 31}};
        SplittableRandom r = new SplittableRandom(1);
        try (Workers w1 = new Workers(1); Workers w2 = new Workers(2)) {
            for (int[] s : shapes) {
                int M = s[0], N = s[1], K = s[2];
                float[] a = new float[M * K], at = new float[K * M], b = new float[K * N];
                for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
                for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
                for (int i = 0; i < M; i++) for (int k = 0; k < K; k++) at[k * M + i] = a[i * K + k];
                float[] c1 = new float[M * N], c2 = new float[M * N], c3 = new float[M * N];
                java.util.Arrays.fill(c3, 1f);
                Gemm.nn(w1, a, b, c1, M, N, K, false);
                Gemm.nn(w2, a, b, c2, M, N, K, false);
                Gemm.mul(w2, at, 0, 1, M, b, 0, N, c3, 0, N, M, N, K, true); // Aᵀ form, accumulating onto ones
                for (int i = 0; i < M; i++) {
                    for (int j = 0; j < N; j++) {
                        double ref = 0;
                        for (int k = 0; k < K; k++) ref += (double) a[i * K + k] * b[k * N + j];
                        double tol = 1e-5 * Math.sqrt(K) * 4;
                        assertEquals(ref, c1[i * N + j], tol, "shape " + M + "x" + N + "x" + K);
                        assertEquals(ref + 1, c3[i * N + j], tol, "transposed shape " + M + "x" + N + "x" + K);
                    }
                }
                assertArrayEquals(c1, c2, "thread count changed the bits for " + M + "x" + N + "x" + K);
            }
        }
    }
}
