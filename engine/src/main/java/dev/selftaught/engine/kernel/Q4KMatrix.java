package dev.selftaught.engine.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K: super-blocks of 256 values, 144 bytes: f16 d, f16 dmin, 12 bytes packing a 6-bit
 * (scale, min) pair for each of 8 sub-blocks of 32, then 128 bytes of nibbles; each run of 32
 * bytes holds two sub-blocks (low nibbles first). value = (d*scale) * q - (dmin*min).
 */
public final class Q4KMatrix extends MappedMatrix {
    static final int BLOCK = 256, BYTES = 144;

    public Q4KMatrix(MemorySegment seg, int rows, int cols) { super(seg, rows, cols, BLOCK, BYTES); }

    @Override public String encoding() { return "Q4_K"; }

    /** 6-bit scale of sub-block j (0..7) from the 12 packed bytes at {@code sc}. */
    static int scale(MemorySegment s, long sc, int j) {
        return j < 4 ? u8(s, sc + j) & 63 : (u8(s, sc + j + 4) & 0xF) | ((u8(s, sc + j - 4) >>> 6) << 4);
    }

    /** 6-bit min of sub-block j (0..7). */
    static int min(MemorySegment s, long sc, int j) {
        return j < 4 ? u8(s, sc + j + 4) & 63 : (u8(s, sc + j + 4) >>> 4) | ((u8(s, sc + j) >>> 6) << 4);
    }

    public static void decodeBlock(MemorySegment s, long off, float[] y, int yo) {
        float d = half(s, off), dmin = half(s, off + 2);
        long sc = off + 4, qs = off + 16;
        for (int j = 0; j < 4; j++) {
            float d1 = d * scale(s, sc, 2 * j), m1 = dmin * min(s, sc, 2 * j);
            float d2 = d * scale(s, sc, 2 * j + 1), m2 = dmin * min(s, sc, 2 * j + 1);
            int base = yo + 64 * j;
            for (int l = 0; l < 32; l++) {
                int q = u8(s, qs + 32L * j + l);
                y[base + l] = d1 * (q & 0xF) - m1;
                y[base + 32 + l] = d2 * (q >>> 4) - m2;
            }
        }
    }

    @Override
    public void decodeRows(int r0, int n, float[] dst, int off) {
        long o = r0 * rowBytes;
        int blocks = n * (cols / BLOCK);
        for (int b = 0; b < blocks; b++, o += BYTES) decodeBlock(seg, o, dst, off + b * BLOCK);
    }
}
