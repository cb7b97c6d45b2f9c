package dev.selftaught.engine.kernel;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

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

    /**
     * Four rows at a time against one input row. Every vector operation is written out in this one
     * method (no helper takes or returns a vector): C2 boxes vectors passed to a method it does not
     * inline, which made an earlier version of this kernel allocate and run several times slower.
     * Lane sums go through a small float buffer in {@link Kernels#sumLanes} order, so the result is
     * bit-identical to decoding the rows and calling {@link Kernels#dot}.
     */
    @Override
    protected boolean matvec(float[] out, boolean accumulate, float[] x, int r0, int r1) {
        if (!FUSED) return false;
        final MemorySegment seg = this.seg;
        final int blocks = cols / BLOCK;
        final long rb = rowBytes;
        float[] lanes = new float[4 * L];
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            long o0 = r * rb, o1 = o0 + rb, o2 = o1 + rb, o3 = o2 + rb;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < blocks; b++) {
                long bo = (long) b * BYTES;
                float d0 = Float.float16ToFloat(seg.get(I16, o0 + bo)), d1 = Float.float16ToFloat(seg.get(I16, o1 + bo));
                float d2 = Float.float16ToFloat(seg.get(I16, o2 + bo)), d3 = Float.float16ToFloat(seg.get(I16, o3 + bo));
                for (int k = 0; k < BLOCK; k += L) {
                    FloatVector xv = FloatVector.fromArray(S, x, b * BLOCK + k);
                    long q = bo + 2 + k;
                    a0 = ((FloatVector) ByteVector.fromMemorySegment(BL, seg, o0 + q, LE).convertShape(VectorOperators.B2F, S, 0)).mul(d0).fma(xv, a0);
                    a1 = ((FloatVector) ByteVector.fromMemorySegment(BL, seg, o1 + q, LE).convertShape(VectorOperators.B2F, S, 0)).mul(d1).fma(xv, a1);
                    a2 = ((FloatVector) ByteVector.fromMemorySegment(BL, seg, o2 + q, LE).convertShape(VectorOperators.B2F, S, 0)).mul(d2).fma(xv, a2);
                    a3 = ((FloatVector) ByteVector.fromMemorySegment(BL, seg, o3 + q, LE).convertShape(VectorOperators.B2F, S, 0)).mul(d3).fma(xv, a3);
                }
            }
            a0.intoArray(lanes, 0);
            a1.intoArray(lanes, L);
            a2.intoArray(lanes, 2 * L);
            a3.intoArray(lanes, 3 * L);
            storeFour(out, r, accumulate, lanes);
        }
        for (; r < r1; r++) {
            long o = r * rb;
            FloatVector a = FloatVector.zero(S);
            for (int b = 0; b < blocks; b++, o += BYTES) {
                float d = Float.float16ToFloat(seg.get(I16, o));
                for (int k = 0; k < BLOCK; k += L) {
                    a = ((FloatVector) ByteVector.fromMemorySegment(BL, seg, o + 2 + k, LE).convertShape(VectorOperators.B2F, S, 0)).mul(d)
                            .fma(FloatVector.fromArray(S, x, b * BLOCK + k), a);
                }
            }
            a.intoArray(lanes, 0);
            store(out, r, accumulate, Kernels.sumLanes(lanes, 0));
        }
        return true;
    }
}
