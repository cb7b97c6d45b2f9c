package dev.selftaught.engine.kernel;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** F32 weights in a mapped file. */
public final class F32Matrix extends MappedMatrix {
    public F32Matrix(MemorySegment seg, int rows, int cols) { super(seg, rows, cols, 1, 4); }

    @Override public String encoding() { return "F32"; }

    @Override
    public void decodeRows(int r0, int n, float[] dst, int off) {
        MemorySegment.copy(seg, F32, r0 * rowBytes, dst, off, n * cols);
    }

    @Override
    protected boolean matvec(float[] out, boolean accumulate, float[] x, int r0, int r1) {
        int bound = S.loopBound(cols);
        for (int r = r0; r < r1; r++) {
            long o = r * rowBytes;
            float sum = 0f;
            if (bound > 0) {
                FloatVector a = FloatVector.zero(S);
                for (int i = 0; i < bound; i += L) {
                    a = FloatVector.fromMemorySegment(S, seg, o + 4L * i, LE).fma(FloatVector.fromArray(S, x, i), a);
                }
                sum = Kernels.sum(a);
            }
            for (int i = bound; i < cols; i++) sum += seg.get(F32, o + 4L * i) * x[i];
            store(out, r, accumulate, sum);
        }
        return true;
    }
}
