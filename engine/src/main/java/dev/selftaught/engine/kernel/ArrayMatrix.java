package dev.selftaught.engine.kernel;

/**
 * A float matrix on the heap, shared with its owner (the trainer updates the array in place and
 * inference sees the change): no copy is made.
 */
public final class ArrayMatrix extends Matrix {
    private final float[] w;

    public ArrayMatrix(float[] w, int rows, int cols) {
        super(rows, cols);
        if ((long) rows * cols != w.length) throw new IllegalArgumentException("array of " + w.length + " floats is not " + rows + "x" + cols);
        this.w = w;
    }

    public float[] array() { return w; }

    @Override public String encoding() { return "F32"; }

    @Override public long byteSize() { return 4L * w.length; }

    @Override
    public void decodeRows(int r0, int n, float[] dst, int off) {
        System.arraycopy(w, r0 * cols, dst, off, n * cols);
    }

    @Override
    public void matmul(float[] out, int outStride, boolean accumulate, float[] x, int m, int r0, int r1, float[] scratch) {
        Kernels.matmul(out, outStride, accumulate, x, m, w, cols, r0, r1);
    }

    @Override
    public float[] toFloats() { return w.clone(); }
}
