package dev.selftaught.engine.kernel;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0: blocks of 32 values, 18 bytes: f16 scale d, 16 bytes of nibbles; byte j holds value j in
 * its low nibble and value j+16 in its high nibble; value = d * (nibble - 8) (exact in float).
 */
public final class Q4_0Matrix extends MappedMatrix {
    static final int BLOCK = 32, BYTES = 18;
    /**
     * The fused kernel below measured slower than decoding four rows and running the float tile
     * (C2 does not inline its block helpers and boxes their vectors), so it is off until rewritten.
     */
    static final boolean FUSED_MATVEC = Boolean.getBoolean("selftaught.q4_0.fused");

    public Q4_0Matrix(MemorySegment seg, int rows, int cols) { super(seg, rows, cols, BLOCK, BYTES); }

    @Override public String encoding() { return "Q4_0"; }

    public static void decodeBlock(MemorySegment s, long off, float[] y, int yo) {
        float d = half(s, off);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, off + 2 + j);
            y[yo + j] = d * ((q & 0xF) - 8);
            y[yo + j + 16] = d * ((q >>> 4) - 8);
        }
    }

    private static FloatVector lo(ByteVector b, float d) { return bytesToFloats(b.and((byte) 0xF).sub((byte) 8)).mul(d); }

    private static FloatVector hi(ByteVector b, float d) {
        return bytesToFloats(b.lanewise(VectorOperators.LSHR, 4).sub((byte) 8)).mul(d);
    }

    @Override
    public void decodeRows(int r0, int n, float[] dst, int off) {
        long o = r0 * rowBytes;
        int blocks = n * (cols / BLOCK);
        for (int b = 0; b < blocks; b++, o += BYTES) {
            int y = off + b * BLOCK;
            if (L == 16) {
                float d = half(seg, o);
                ByteVector q = ByteVector.fromMemorySegment(BL, seg, o + 2, LE);
                lo(q, d).intoArray(dst, y);
                hi(q, d).intoArray(dst, y + 16);
            } else if (L == 8) {
                float d = half(seg, o);
                ByteVector q0 = ByteVector.fromMemorySegment(BL, seg, o + 2, LE), q1 = ByteVector.fromMemorySegment(BL, seg, o + 10, LE);
                lo(q0, d).intoArray(dst, y);
                lo(q1, d).intoArray(dst, y + 8);
                hi(q0, d).intoArray(dst, y + 16);
                hi(q1, d).intoArray(dst, y + 24);
            } else {
                decodeBlock(seg, o, dst, y);
            }
        }
    }

    @Override
    protected boolean matvec(float[] out, boolean accumulate, float[] x, int r0, int r1) {
        if (!FUSED || !FUSED_MATVEC) return false;
        int blocks = cols / BLOCK;
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            long o0 = r * rowBytes, o1 = o0 + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < blocks; b++) {
                long bo = (long) b * BYTES;
                int xo = b * BLOCK;
                if (L == 16) {
                    FloatVector x0 = FloatVector.fromArray(S, x, xo), x1 = FloatVector.fromArray(S, x, xo + 16);
                    a0 = block16(o0 + bo, x0, x1, a0);
                    a1 = block16(o1 + bo, x0, x1, a1);
                    a2 = block16(o2 + bo, x0, x1, a2);
                    a3 = block16(o3 + bo, x0, x1, a3);
                } else {
                    FloatVector x0 = FloatVector.fromArray(S, x, xo), x1 = FloatVector.fromArray(S, x, xo + 8);
                    FloatVector x2 = FloatVector.fromArray(S, x, xo + 16), x3 = FloatVector.fromArray(S, x, xo + 24);
                    a0 = block8(o0 + bo, x0, x1, x2, x3, a0);
                    a1 = block8(o1 + bo, x0, x1, x2, x3, a1);
                    a2 = block8(o2 + bo, x0, x1, x2, x3, a2);
                    a3 = block8(o3 + bo, x0, x1, x2, x3, a3);
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
                int xo = b * BLOCK;
                a = L == 16
                        ? block16(o, FloatVector.fromArray(S, x, xo), FloatVector.fromArray(S, x, xo + 16), a)
                        : block8(o, FloatVector.fromArray(S, x, xo), FloatVector.fromArray(S, x, xo + 8),
                                FloatVector.fromArray(S, x, xo + 16), FloatVector.fromArray(S, x, xo + 24), a);
            }
            store(out, r, accumulate, Kernels.sum(a));
        }
        return true;
    }

    /** One block against x with 16-lane vectors: low nibbles are values 0-15, high nibbles 16-31. */
    private FloatVector block16(long o, FloatVector x0, FloatVector x1, FloatVector a) {
        float d = half(seg, o);
        ByteVector q = ByteVector.fromMemorySegment(BL, seg, o + 2, LE);
        a = lo(q, d).fma(x0, a);
        return hi(q, d).fma(x1, a);
    }

    /** One block against x with 8-lane vectors, fed to the accumulator in position order (0-7, 8-15, 16-23, 24-31). */
    private FloatVector block8(long o, FloatVector x0, FloatVector x1, FloatVector x2, FloatVector x3, FloatVector a) {
        float d = half(seg, o);
        ByteVector q0 = ByteVector.fromMemorySegment(BL, seg, o + 2, LE), q1 = ByteVector.fromMemorySegment(BL, seg, o + 10, LE);
        a = lo(q0, d).fma(x0, a);
        a = lo(q1, d).fma(x1, a);
        a = hi(q0, d).fma(x2, a);
        return hi(q1, d).fma(x3, a);
    }
}
