package dev.selftaught.engine.kernel;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** bfloat16 weights in a mapped file (the upper half of a float's bits). */
public final class BF16Matrix extends MappedMatrix {
    public BF16Matrix(MemorySegment seg, int rows, int cols) { super(seg, rows, cols, 1, 2); }

    @Override public String encoding() { return "BF16"; }

    static float bf16(MemorySegment s, long off) { return Float.intBitsToFloat((s.get(I16, off) & 0xFFFF) << 16); }

    @Override
    public void decodeRows(int r0, int n, float[] dst, int off) {
        long o = r0 * rowBytes;
        int count = n * cols;
        int i = 0;
        if (FUSED) {
            for (; i + L <= count; i += L) {
                IntVector v = (IntVector) ShortVector.fromMemorySegment(HL, seg, o + 2L * i, LE).convertShape(VectorOperators.S2I, IL, 0);
                v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, off + i);
            }
        }
        for (; i < count; i++) dst[off + i] = bf16(seg, o + 2L * i);
    }
}
