package dev.selftaught.engine.kernel;

/**
 * A weight matrix {@code [rows][cols]} (row-major, one output per row) in whatever encoding it is
 * stored: the forward pass calls {@link #matmul} and never sees the encoding. One subclass per
 * storage type (float array, F32/F16/BF16/Q8_0/Q4_0/Q4_K/Q6_K over a memory-mapped file), each
 * with its own kernel.
 *
 * <p>Arithmetic: weights are decoded to floats exactly (every encoding's value {@code d * q} is
 * representable in float) and multiplied with float activations, in the operation order of
 * {@link Kernels#matmulRows}. So a quantized matrix gives the same bits as its dequantized float
 * copy, a row gives the same bits alone or in a batch, and the only error against a float64
 * reference is float accumulation (activations are not rounded to 8 bits, unlike llama.cpp's
 * quantized dot products).
 *
 * <p>The default {@link #matmul} decodes {@value #TILE_ROWS} rows at a time into a per-thread
 * scratch buffer and runs the shared float register tiles over all input rows: the decoding is
 * paid once per weight row whatever the batch, which is what makes batched prefill and batched
 * decoding GEMM-shaped for every type. Subclasses add a fused decode-and-dot for one input row
 * (the decode step), which must produce the same bits.
 */
public abstract class Matrix {
    /** Rows decoded together by the default {@link #matmul}. */
    public static final int TILE_ROWS = 4;

    protected final int rows, cols;

    protected Matrix(int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("matrix shape " + rows + "x" + cols);
        this.rows = rows;
        this.cols = cols;
    }

    public final int rows() { return rows; }

    public final int cols() { return cols; }

    /** Name of the storage encoding, as GGUF spells it (F32, F16, Q8_0, ...). */
    public abstract String encoding();

    /** Bytes the weights occupy in their storage (in the mapped file or on the heap). */
    public abstract long byteSize();

    /** Decodes rows {@code [r0, r0+n)} to floats into {@code dst[off..off + n*cols)}. */
    public abstract void decodeRows(int r0, int n, float[] dst, int off);

    /** Floats a scratch buffer for {@link #matmul} needs for a matrix with {@code cols} columns. */
    public static int scratchFloats(int cols) { return TILE_ROWS * cols; }

    /**
     * For every input row {@code s < m} of {@code x} ({@code [m][cols]}) and weight row
     * {@code r} in {@code [r0, r1)}: {@code out[s*outStride + r] (+)= dot(row r, x[s])}.
     *
     * @param scratch at least {@link #scratchFloats(int) scratchFloats(cols)} floats owned by the calling thread
     */
    public void matmul(float[] out, int outStride, boolean accumulate, float[] x, int m, int r0, int r1, float[] scratch) {
        if (m == 1 && matvec(out, accumulate, x, r0, r1)) return;
        for (int r = r0; r < r1; r += TILE_ROWS) {
            int n = Math.min(TILE_ROWS, r1 - r);
            decodeRows(r, n, scratch, 0);
            Kernels.matmulRows(out, outStride, r, accumulate, x, m, scratch, 0, n, cols);
        }
    }

    /**
     * Fused decode-and-dot for one input row, bit-identical to decoding then {@link Kernels#dot};
     * returns false when the subclass has none (or the vector width does not suit it).
     */
    protected boolean matvec(float[] out, boolean accumulate, float[] x, int r0, int r1) { return false; }

    /** The whole matrix as floats (for the trainer, tests and writers). */
    public float[] toFloats() {
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - 8) throw new IllegalStateException("matrix of " + n + " values is too large for one array");
        float[] out = new float[(int) n];
        // Large matrices are decoded in parallel chunks of rows.
        int chunk = Math.max(1, (1 << 20) / cols);
        java.util.stream.IntStream.range(0, (rows + chunk - 1) / chunk).parallel().forEach(c -> {
            int r = c * chunk;
            decodeRows(r, Math.min(chunk, rows - r), out, r * cols);
        });
        return out;
    }

    static void store(float[] out, int o, boolean accumulate, float v) {
        out[o] = accumulate ? out[o] + v : v;
    }

    @Override
    public String toString() { return encoding() + "[" + rows + "x" + cols + "]"; }
}
