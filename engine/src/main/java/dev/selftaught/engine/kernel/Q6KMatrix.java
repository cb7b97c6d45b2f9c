package dev.selftaught.engine.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Q6_K: super-blocks of 256 values, 210 bytes: 128 bytes of low 4 bits, 64 bytes of high 2 bits,
 * 16 int8 scales (one per 16 values), f16 d; value = (d*scale) * (q-32).
 */
public final class Q6KMatrix extends MappedMatrix {
    static final int BLOCK = 256, BYTES = 210;

    public Q6KMatrix(MemorySegment seg, int rows, int cols) { super(seg, rows, cols, BLOCK, BYTES); }

    @Override public String encoding() { return "Q6_K"; }

    public static void decodeBlock(MemorySegment s, long off, float[] y, int yo) {
        long ql = off, qh = off + 128, scales = off + 192;
        float d = half(s, off + 208);
        for (int h = 0; h < 2; h++) {  // two halves of 128 values
            long qlh = ql + 64L * h, qhh = qh + 32L * h, sch = scales + 8L * h;
            int base = yo + 128 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int hb = u8(s, qhh + l);
                int a = u8(s, qlh + l), b = u8(s, qlh + l + 32);
                int q1 = ((a & 0xF) | ((hb & 3) << 4)) - 32;
                int q2 = ((b & 0xF) | (((hb >>> 2) & 3) << 4)) - 32;
                int q3 = ((a >>> 4) | (((hb >>> 4) & 3) << 4)) - 32;
                int q4 = ((b >>> 4) | (((hb >>> 6) & 3) << 4)) - 32;
                y[base + l] = d * i8(s, sch + is) * q1;
                y[base + l + 32] = d * i8(s, sch + is + 2) * q2;
                y[base + l + 64] = d * i8(s, sch + is + 4) * q3;
                y[base + l + 96] = d * i8(s, sch + is + 6) * q4;
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
