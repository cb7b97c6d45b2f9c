package dev.selftaught.engine.bench;

import dev.selftaught.engine.kernel.Matrix;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.model.ModelWeights;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Matrix-vector (and small matrix-matrix) throughput over a real checkpoint's mapped weights, the
 * decode step's work without the rest of the forward pass: every layer matrix of every layer plus
 * the output head, one input row (or {@code m} rows), as one decode step reads them, so the
 * weights stream from memory. Prints wall time per sweep, GB/s of weights and the thread-CPU time
 * (less sensitive to other processes on a shared machine than wall time).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp engine/target/classes:engine/target/test-classes:app/target/selftaught.jar \
 *     dev.selftaught.engine.bench.MatvecBench FILE.gguf [threads=2] [sweeps=8] [m=1]
 * </pre>
 */
public final class MatvecBench {
    /**
     * Compute speed without memory traffic: one small matrix (the first layer's wk, which fits in
     * L2) times one row, over and over on the calling thread; thread-CPU time per call, so other
     * processes on the machine matter little. Prints the median of {@code rounds} rounds.
     */
    static void hot(Matrix a, int rounds) {
        ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
        float[] x = new float[a.cols()], out = new float[a.rows()], scratch = new float[Matrix.scratchFloats(a.cols())];
        SplittableRandom rnd = new SplittableRandom(2);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        int calls = 200;
        double[] ns = new double[rounds];
        for (int r = -3; r < rounds; r++) {
            long c0 = tmx.getCurrentThreadCpuTime();
            for (int i = 0; i < calls; i++) a.matmul(out, a.rows(), false, x, 1, 0, a.rows(), scratch);
            double per = (tmx.getCurrentThreadCpuTime() - c0) / (double) calls;
            if (r >= 0) ns[r] = per;
        }
        Arrays.sort(ns);
        System.out.printf(Locale.ROOT, "hot %s: median %.1f us per call (min %.1f), %.1f GB/s of weights per core, %.2f ns per 32 weights%n",
                a, ns[rounds / 2] / 1e3, ns[0] / 1e3, a.byteSize() / ns[rounds / 2], ns[rounds / 2] * 32 / ((double) a.rows() * a.cols()));
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int sweeps = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        boolean hot = args.length > 3 && args[3].equals("hot");
        int m = args.length > 3 && !hot ? Integer.parseInt(args[3]) : 1;
        ModelWeights w = ModelLoader.load(file).tensors();
        if (hot) {
            hot(w.wk[0], sweeps);
            return;
        }
        List<Matrix> all = new ArrayList<>();
        for (int l = 0; l < w.config.nLayers(); l++) {
            all.addAll(List.of(w.wq[l], w.wk[l], w.wv[l], w.wo[l], w.w1[l], w.w3[l], w.w2[l]));
        }
        all.add(w.output);
        long bytes = 0;
        int maxRows = 0, maxCols = 0;
        for (Matrix a : all) {
            bytes += a.byteSize();
            maxRows = Math.max(maxRows, a.rows());
            maxCols = Math.max(maxCols, a.cols());
        }
        SplittableRandom rnd = new SplittableRandom(1);
        float[] x = new float[m * maxCols];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] out = new float[m * maxRows];
        ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
        System.out.printf(Locale.ROOT, "%s: %d matrices, %.1f MB, %s, %d thread(s), m=%d%n", file.getFileName(), all.size(),
                bytes / 1e6, w.encodings(), threads, m);
        try (ThreadTeam team = new ThreadTeam(threads)) {
            float[][] scratch = new float[threads][Matrix.scratchFloats(maxCols)];
            double[] ms = new double[sweeps];
            for (int s = -2; s < sweeps; s++) {
                long c0 = tmx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                long al0 = ((com.sun.management.ThreadMXBean) tmx).getCurrentThreadAllocatedBytes();
                for (Matrix a : all) {
                    final Matrix mat = a;
                    team.parallelFor(a.rows(), Math.max(4, 32_768 / (a.cols() * m)),
                            (r0, r1, wk) -> mat.matmul(out, mat.rows(), false, x, m, r0, r1, scratch[wk]));
                }
                long t = System.nanoTime() - t0, c = tmx.getCurrentThreadCpuTime() - c0;
                long al = ((com.sun.management.ThreadMXBean) tmx).getCurrentThreadAllocatedBytes() - al0;
                if (s >= 0) ms[s] = t / 1e6;
                System.out.printf(Locale.ROOT, "%s sweep: %.1f ms, %.1f GB/s, caller CPU %.1f ms, caller allocated %d KB%n",
                        s < 0 ? "warm-up" : "timed", t / 1e6, bytes / (t / 1e9) / 1e9, c / 1e6, al / 1024);
            }
            Arrays.sort(ms);
            System.out.printf(Locale.ROOT, "min %.1f ms (%.1f GB/s, %.1f tok/s if only matmuls), median %.1f ms (%.1f GB/s)%n", ms[0],
                    bytes / (ms[0] / 1e3) / 1e9, 1e3 / ms[0], ms[sweeps / 2], bytes / (ms[sweeps / 2] / 1e3) / 1e9);
        }
    }
}
