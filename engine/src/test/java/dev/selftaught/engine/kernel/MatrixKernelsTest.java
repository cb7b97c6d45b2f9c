package dev.selftaught.engine.kernel;

import dev.selftaught.engine.format.gguf.Dequantize;
import dev.selftaught.engine.format.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every storage encoding's matrix kernel against dequantize-then-float: random valid blocks of each
 * type, decoded by the format reader's block decoders ({@link Dequantize}, itself checked against
 * hand-packed blocks in DequantizeTest), multiplied in float64 as the reference. The kernels decode
 * exactly and accumulate in float, so they must also agree bit for bit with the float kernel on the
 * decoded matrix, for one input row (the fused decode kernels) and for a batch (the shared tiles).
 */
class MatrixKernelsTest {
    enum Encoding { F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K }

    static void half(byte[] b, int off, float v) {
        short h = Float.floatToFloat16(v);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    /** Random bytes forming valid blocks of the type (finite f16 scales of sensible size). */
    static byte[] randomTensor(GgmlType t, int rows, int cols, SplittableRandom rnd) {
        int n = rows * cols;
        byte[] b = new byte[(int) t.bytesFor(n)];
        rnd.nextBytes(b);
        int blocks = n / t.blockSize;
        for (int k = 0; k < blocks; k++) {
            int o = k * t.blockBytes;
            switch (t) {
                case F32 -> {
                    int bits = Float.floatToIntBits((float) rnd.nextGaussian());
                    for (int i = 0; i < 4; i++) b[o + i] = (byte) (bits >> (8 * i));
                }
                case F16 -> half(b, o, (float) rnd.nextGaussian());
                case BF16 -> { b[o + 1] = (byte) (Float.floatToIntBits((float) rnd.nextGaussian()) >>> 24); }
                case Q8_0, Q4_0 -> half(b, o, (float) (rnd.nextDouble() * 0.02));
                case Q4_K -> { half(b, o, (float) (rnd.nextDouble() * 0.01)); half(b, o + 2, (float) (rnd.nextDouble() * 0.01)); }
                case Q6_K -> half(b, o + 208, (float) (rnd.nextDouble() * 0.001));
                default -> throw new IllegalStateException();
            }
        }
        return b;
    }

    static double[] reference(float[] w, int rows, int cols, float[] x, int m) {
        double[] out = new double[m * rows];
        for (int s = 0; s < m; s++) {
            for (int r = 0; r < rows; r++) {
                double acc = 0;
                for (int i = 0; i < cols; i++) acc += (double) w[r * cols + i] * x[s * cols + i];
                out[s * rows + r] = acc;
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void kernelMatchesDequantizeThenMultiply(Encoding e) {
        GgmlType t = GgmlType.valueOf(e.name());
        SplittableRandom rnd = new SplittableRandom(7 + e.ordinal());
        // 13 rows: three 4-row tiles plus a remainder; 512 columns: two K-quant super-blocks
        int rows = 13, cols = t.blockSize == 1 ? 520 : 512;
        byte[] bytes = randomTensor(t, rows, cols, rnd);
        MemorySegment seg = MemorySegment.ofArray(bytes);
        Matrix m = MappedMatrix.of(e.name(), seg, rows, cols);
        assertEquals(bytes.length, m.byteSize());

        float[] dense = new float[rows * cols];
        Dequantize.toFloats(seg, 0, t, dense, 0, rows * cols);
        float[] decoded = m.toFloats();
        for (int i = 0; i < dense.length; i++) assertEquals(dense[i], decoded[i], e + " decoded value " + i);

        float[] alone = null;
        for (int batch : new int[] {1, 2, 5}) {
            float[] x = new float[batch * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            float[] scratch = new float[Matrix.scratchFloats(cols)];
            float[] got = new float[batch * rows];
            m.matmul(got, rows, false, x, batch, 0, rows, scratch);
            float[] viaFloats = new float[batch * rows];
            Kernels.matmul(viaFloats, rows, false, x, batch, dense, cols, 0, rows);
            double[] ref = reference(dense, rows, cols, x, batch);
            double scale = 0;
            for (double v : ref) scale = Math.max(scale, Math.abs(v));
            assertTrue(scale > 0, "non-trivial products");
            for (int i = 0; i < got.length; i++) {
                assertEquals(viaFloats[i], got[i], 0f, e + " batch " + batch + " output " + i + " bit-identical to the float kernel");
                assertEquals(ref[i], got[i], 1e-5 * scale, e + " batch " + batch + " output " + i + " against float64");
            }
            // a row's result does not depend on the batch it is in (what makes batched decoding exact);
            // x rows are drawn afresh per batch, so recompute row 0 alone for this batch's x
            alone = new float[rows];
            m.matmul(alone, rows, false, java.util.Arrays.copyOf(x, cols), 1, 0, rows, scratch);
            for (int r = 0; r < rows; r++) assertEquals(alone[r], got[r], 0f, e + " batch " + batch + " row 0 output " + r + " as when alone");
            // accumulate adds onto what is there; a sub-range leaves the rest alone
            float[] acc = new float[batch * rows];
            java.util.Arrays.fill(acc, 1f);
            m.matmul(acc, rows, true, x, batch, 4, 9, scratch);
            for (int s = 0; s < batch; s++) {
                for (int r = 0; r < rows; r++) {
                    float want = r >= 4 && r < 9 ? 1f + viaFloats[s * rows + r] : 1f;
                    assertEquals(want, acc[s * rows + r], 0f, e + " accumulate row " + r);
                }
            }
        }
    }

    /**
     * The fused one-row kernels once C2 has compiled them (thousands of calls), not only as the
     * interpreter runs them: still bit-identical to decoding and the float tile, and still equal
     * to the batched path for every row of a batch.
     */
    @ParameterizedTest
    @EnumSource(value = Encoding.class, names = {"F32", "F16", "Q8_0", "Q4_0"})
    void compiledKernelsStayBitIdentical(Encoding e) {
        GgmlType t = GgmlType.valueOf(e.name());
        SplittableRandom rnd = new SplittableRandom(99 + e.ordinal());
        int rows = 18, cols = 1024;
        byte[] bytes = randomTensor(t, rows, cols, rnd);
        Matrix m = MappedMatrix.of(e.name(), MemorySegment.ofArray(bytes), rows, cols);
        float[] dense = m.toFloats();
        float[] x = new float[3 * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] want = new float[3 * rows];
        Kernels.matmul(want, rows, false, x, 3, dense, cols, 0, rows);
        float[] scratch = new float[Matrix.scratchFloats(cols)];
        float[] one = new float[rows], batch = new float[3 * rows];
        for (int call = 0; call < 4000; call++) {
            int s = call % 3;
            m.matmul(one, rows, false, java.util.Arrays.copyOfRange(x, s * cols, (s + 1) * cols), 1, 0, rows, scratch);
            for (int r = 0; r < rows; r++) {
                if (Float.floatToRawIntBits(one[r]) != Float.floatToRawIntBits(want[s * rows + r])) {
                    assertEquals(want[s * rows + r], one[r], 0f, e + " call " + call + " row " + r);
                }
            }
            if (call % 50 == 0) {
                m.matmul(batch, rows, false, x, 3, 0, rows, scratch);
                for (int i = 0; i < batch.length; i++) assertEquals(want[i], batch[i], 0f, e + " batched call " + call + " output " + i);
            }
        }
    }

    @Test
    void vectorHalfDecodingIsExactForEveryFiniteHalf() {
        byte[] b = new byte[2 * 65536];
        for (int h = 0; h < 65536; h++) { b[2 * h] = (byte) h; b[2 * h + 1] = (byte) (h >> 8); }
        F16Matrix m = new F16Matrix(MemorySegment.ofArray(b), 256, 256);
        float[] got = m.toFloats();
        int checked = 0;
        for (int h = 0; h < 65536; h++) {
            if ((h & 0x7c00) == 0x7c00) continue;    // infinities and NaNs are not weights
            assertEquals(Float.floatToRawIntBits(Float.float16ToFloat((short) h)), Float.floatToRawIntBits(got[h]), "half 0x" + Integer.toHexString(h));
            checked++;
        }
        assertEquals(65536 - 2048, checked);
    }

    @Test
    void wrongSizeOrUnknownEncodingIsRefused() {
        MemorySegment seg = MemorySegment.ofArray(new byte[34 * 3]);
        assertEquals("Q8_0[3x32]", MappedMatrix.of("Q8_0", seg, 3, 32).toString());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MappedMatrix.of("Q8_0", seg, 4, 32));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MappedMatrix.of("Q8_0", seg, 3, 33));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MappedMatrix.of("Q5_1", seg, 3, 32));
    }
}
