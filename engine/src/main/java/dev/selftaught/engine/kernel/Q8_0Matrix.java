package dev.selftaught.engine.kernel;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/** Q8_0: blocks of 32 values, 34 bytes: f16 scale d, int8 q[32]; value = d * q (exact in float). */
public final class Q8_0Matrix extends MappedMatrix {
    static final int BLOCK = 32, BYTES = 34;

    public Q8_0Matrix(MemorySegment seg, int rows, int cols) { super(seg, rows, cols, BLOCK, BYTES); }

    @Override public String encoding() { return "Q8_0"; }

    /** Decodes the block at byte {@code off} into {@code y[yo..yo+32)}. */
    public static void decodeBlock(MemorySegment s, long off, float[] y, int yo) {
        float d = half(s, off);
        for (int j = 0; j < BLOCK; j++) y[yo + j] = d * i8(s, off + 2 + j);
    }

    @Override
    public void decodeRows(int r0, int n, float[] dst, int off) {
        long o = r0 * rowBytes;
        int blocks = n * (cols / BLOCK);
        for (int b = 0; b < blocks; b++, o += BYTES) {
            if (FUSED) {
                float d = half(seg, o);
                int y = off + b * BLOCK;
                for (int k = 0; k < BLOCK; k += L) bytesToFloats(ByteVector.fromMemorySegment(BL, seg, o + 2 + k, LE)).mul(d).intoArray(dst, y + k);
            } else {
                decodeBlock(seg, o, dst, off + b * BLOCK);
            }
        }
    }

    private FloatVector w(long o, int k, float d) {
        return bytesToFloats(ByteVector.fromMemorySegment(BL, seg, o + 2 + k, LE)).mul(d);
    }

    @Override
    protected boolean matvec(float[] out, boolean accumulate, float[] x, int r0, int r1) {
        if (!FUSED) return false;
        int blocks = cols / BLOCK;
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            long o0 = r * rowBytes, o1 = o0 + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < blocks; b++) {
                long bo = (long) b * BYTES;
                float d0 = half(seg, o0 + bo), d1 = half(seg, o1 + bo), d2 = half(seg, o2 + bo), d3 = half(seg, o3 + bo);
                for (int k = 0; k < BLOCK; k += L) {
                    FloatVector xv = FloatVector.fromArray(S, x, b * BLOCK + k);
                    a0 = w(o0 + bo, k, d0).fma(xv, a0);
                    a1 = w(o1 + bo, k, d1).fma(xv, a1);
                    a2 = w(o2 + bo, k, d2).fma(xv, a2);
                    a3 = w(o3 + bo, k, d3).fma(xv, a3);
                }
            }
            store(out, r, accumulate, Kernels.sum(a0));
            store(out, r + 1, accumulate, Kernels.sum(a1));
            store(out, r + 2, accumulate, Kernels.sum(a2));
            store(out, r + 3, accumulate, Kernels.sum(a3));
        }
        for (; r < r1; r++) {
            long o = r * rowBytes;
            FloatVector a = FloatVector.zero(S);
            for (int b = 0; b < blocks; b++, o += BYTES) {
                float d = half(seg, o);
                for (int k = 0; k < BLOCK; k += L) a = w(o, k, d).fma(FloatVector.fromArray(S, x, b * BLOCK + k), a);
            }
            store(out, r, accumulate, Kernels.sum(a));
        }
        return true;
    }
}
