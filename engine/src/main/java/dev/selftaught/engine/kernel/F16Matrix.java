package dev.selftaught.engine.kernel;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;

/** IEEE half-precision weights in a mapped file. */
public final class F16Matrix extends MappedMatrix {
    public F16Matrix(MemorySegment seg, int rows, int cols) { super(seg, rows, cols, 1, 2); }

    /**
     * Vector half decoding (a bit trick through a short-to-int conversion) measured about 10x
     * slower than the scalar {@code Float.float16ToFloat} intrinsic on JDK 25 with AVX-512, so
     * the scalar decode and the shared float tiles are used unless this property asks otherwise.
     */
    static final boolean VECTOR_DECODE = Boolean.getBoolean("selftaught.f16.vector");

    @Override public String encoding() { return "F16"; }

    @Override
    public void decodeRows(int r0, int n, float[] dst, int off) {
        long o = r0 * rowBytes;
        int count = n * cols;
        int i = 0;
        if (FUSED && VECTOR_DECODE) {
            for (; i + L <= count; i += L) halvesToFloats(ShortVector.fromMemorySegment(HL, seg, o + 2L * i, LE)).intoArray(dst, off + i);
        }
        for (; i < count; i++) dst[off + i] = half(seg, o + 2L * i);
    }

    @Override
    protected boolean matvec(float[] out, boolean accumulate, float[] x, int r0, int r1) {
        if (!FUSED || !VECTOR_DECODE) return false;
        int bound = S.loopBound(cols);
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            long o0 = r * rowBytes, o1 = o0 + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < bound; i += L) {
                FloatVector xv = FloatVector.fromArray(S, x, i);
                long b = 2L * i;
                a0 = halvesToFloats(ShortVector.fromMemorySegment(HL, seg, o0 + b, LE)).fma(xv, a0);
                a1 = halvesToFloats(ShortVector.fromMemorySegment(HL, seg, o1 + b, LE)).fma(xv, a1);
                a2 = halvesToFloats(ShortVector.fromMemorySegment(HL, seg, o2 + b, LE)).fma(xv, a2);
                a3 = halvesToFloats(ShortVector.fromMemorySegment(HL, seg, o3 + b, LE)).fma(xv, a3);
            }
            store(out, r, accumulate, finish(a0, o0, x, bound));
            store(out, r + 1, accumulate, finish(a1, o1, x, bound));
            store(out, r + 2, accumulate, finish(a2, o2, x, bound));
            store(out, r + 3, accumulate, finish(a3, o3, x, bound));
        }
        for (; r < r1; r++) {
            long o = r * rowBytes;
            FloatVector a = FloatVector.zero(S);
            for (int i = 0; i < bound; i += L) {
                a = halvesToFloats(ShortVector.fromMemorySegment(HL, seg, o + 2L * i, LE)).fma(FloatVector.fromArray(S, x, i), a);
            }
            store(out, r, accumulate, finish(a, o, x, bound));
        }
        return true;
    }

    private float finish(FloatVector a, long o, float[] x, int bound) {
        float sum = bound > 0 ? Kernels.sum(a) : 0f;
        for (int i = bound; i < cols; i++) sum += half(seg, o + 2L * i) * x[i];
        return sum;
    }
}
