package dev.selftaught.engine.kernel;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0: blocks of 32 values, 18 bytes: f16 scale d, 16 bytes of nibbles; byte j holds value j in
 * its low nibble and value j+16 in its high nibble; value = d * (nibble - 8) (exact in float).
 *
 * <p>With 16-lane vectors a block's 16 bytes widen to one int vector whose low nibbles are values
 * 0-15 and high nibbles values 16-31, and each weight is {@code fma(nibble, d, -8d)}: the product
 * and the sum are exact, so this is the same float as {@code d * (nibble - 8)} in one operation.
 */
public final class Q4_0Matrix extends MappedMatrix {
    static final int BLOCK = 32, BYTES = 18;

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

    @Override
    public void decodeRows(int r0, int n, float[] dst, int off) {
        final MemorySegment seg = this.seg;
        long o = r0 * rowBytes;
        int blocks = n * (cols / BLOCK);
        for (int b = 0; b < blocks; b++, o += BYTES) {
            int y = off + b * BLOCK;
            if (L == 16) {
                float d = Float.float16ToFloat(seg.get(I16, o)), m8 = -8f * d;
                IntVector q = (IntVector) ByteVector.fromMemorySegment(BL, seg, o + 2, LE).convertShape(VectorOperators.B2I, IL, 0);
                q.and(0xF).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(d, m8).intoArray(dst, y);
                q.lanewise(VectorOperators.ASHR, 4).and(0xF).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(d, m8).intoArray(dst, y + 16);
            } else {
                decodeBlock(seg, o, dst, y);
            }
        }
    }

    /**
     * Four rows at a time against one input row (16-lane vectors only; other widths decode and use
     * the float tiles). Every vector operation is in this one method: C2 boxes vectors handed to
     * helpers it does not inline, which made an earlier helper-based version slower than decoding.
     * Lanes and order as decoding then {@link Kernels#dot}, so bit-identical to it.
     */
    @Override
    protected boolean matvec(float[] out, boolean accumulate, float[] x, int r0, int r1) {
        if (L != 16) return false;
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
                FloatVector xlo = FloatVector.fromArray(S, x, b * BLOCK), xhi = FloatVector.fromArray(S, x, b * BLOCK + 16);
                float d = Float.float16ToFloat(seg.get(I16, o0 + bo));
                IntVector q = (IntVector) ByteVector.fromMemorySegment(BL, seg, o0 + bo + 2, LE).convertShape(VectorOperators.B2I, IL, 0);
                a0 = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).fma(d, -8f * d).fma(xlo, a0);
                a0 = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0xF).convert(VectorOperators.I2F, 0)).fma(d, -8f * d).fma(xhi, a0);
                d = Float.float16ToFloat(seg.get(I16, o1 + bo));
                q = (IntVector) ByteVector.fromMemorySegment(BL, seg, o1 + bo + 2, LE).convertShape(VectorOperators.B2I, IL, 0);
                a1 = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).fma(d, -8f * d).fma(xlo, a1);
                a1 = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0xF).convert(VectorOperators.I2F, 0)).fma(d, -8f * d).fma(xhi, a1);
                d = Float.float16ToFloat(seg.get(I16, o2 + bo));
                q = (IntVector) ByteVector.fromMemorySegment(BL, seg, o2 + bo + 2, LE).convertShape(VectorOperators.B2I, IL, 0);
                a2 = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).fma(d, -8f * d).fma(xlo, a2);
                a2 = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0xF).convert(VectorOperators.I2F, 0)).fma(d, -8f * d).fma(xhi, a2);
                d = Float.float16ToFloat(seg.get(I16, o3 + bo));
                q = (IntVector) ByteVector.fromMemorySegment(BL, seg, o3 + bo + 2, LE).convertShape(VectorOperators.B2I, IL, 0);
                a3 = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).fma(d, -8f * d).fma(xlo, a3);
                a3 = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0xF).convert(VectorOperators.I2F, 0)).fma(d, -8f * d).fma(xhi, a3);
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
                IntVector q = (IntVector) ByteVector.fromMemorySegment(BL, seg, o + 2, LE).convertShape(VectorOperators.B2I, IL, 0);
                a = ((FloatVector) q.and(0xF).convert(VectorOperators.I2F, 0)).fma(d, -8f * d).fma(FloatVector.fromArray(S, x, b * BLOCK), a);
                a = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0xF).convert(VectorOperators.I2F, 0)).fma(d, -8f * d)
                        .fma(FloatVector.fromArray(S, x, b * BLOCK + 16), a);
            }
            a.intoArray(lanes, 0);
            store(out, r, accumulate, Kernels.sumLanes(lanes, 0));
        }
        return true;
    }
}
