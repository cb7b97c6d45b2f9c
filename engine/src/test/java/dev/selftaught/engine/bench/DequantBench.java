package dev.selftaught.engine.bench;

import dev.selftaught.engine.format.gguf.Dequantize;
import dev.selftaught.engine.format.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Dequantization throughput, single thread, per ggml type (millions of values per second).
 * Run: {@code java --add-modules jdk.incubator.vector -cp engine/target/classes:engine/target/test-classes dev.selftaught.engine.bench.DequantBench}
 */
public final class DequantBench {
    public static void main(String[] args) {
        int n = 1 << 22;
        for (GgmlType t : GgmlType.values()) {
            byte[] data = new byte[(int) t.bytesFor(n)];
            new SplittableRandom(1).nextBytes(data);
            MemorySegment seg = MemorySegment.ofArray(data);
            float[] out = new float[n];
            for (int warm = 0; warm < 3; warm++) Dequantize.toFloats(seg, 0, t, out, 0, n);
            long t0 = System.nanoTime();
            int reps = 5;
            for (int r = 0; r < reps; r++) Dequantize.toFloats(seg, 0, t, out, 0, n);
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%-5s %8.1f M values/s%n", t, reps * (double) n / s / 1e6);
        }
    }
}
