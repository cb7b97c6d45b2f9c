package dev.selftaught.engine.format.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Converts ggml tensor data to floats. Block layouts (ggml's {@code block_*} structs, little-endian):
 * <ul>
 *   <li>Q8_0, 32 values, 34 bytes: f16 scale d, int8 q[32]; x = d*q.</li>
 *   <li>Q4_0, 32 values, 18 bytes: f16 d, 16 bytes of nibbles; byte j holds value j (low nibble)
 *       and value j+16 (high nibble); x = d*(nibble-8).</li>
 *   <li>Q4_K, 256 values, 144 bytes: f16 d, f16 dmin, 12 bytes of packed 6-bit (scale, min) pairs for
 *       8 sub-blocks of 32, 128 bytes of nibbles; each 32 bytes of nibbles hold two sub-blocks
 *       (low nibbles first); x = d*scale*q - dmin*min.</li>
 *   <li>Q6_K, 256 values, 210 bytes: 128 bytes low 4 bits, 64 bytes high 2 bits, 16 int8 scales (one per
 *       16 values), f16 d; x = d*scale*(q-32).</li>
 * </ul>
 */
public final class Dequantize {
    private Dequantize() {}

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Dequantizes {@code n} values of {@code type} starting at byte {@code offset} of {@code seg} into out[outOff..]. */
    public static void toFloats(MemorySegment seg, long offset, GgmlType type, float[] out, int outOff, int n) {
        switch (type) {
            case F32 -> MemorySegment.copy(seg, F32, offset, out, outOff, n);
            case F16 -> {
                for (int i = 0; i < n; i++) out[outOff + i] = Float.float16ToFloat(seg.get(I16, offset + 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) out[outOff + i] = Float.intBitsToFloat((seg.get(I16, offset + 2L * i) & 0xFFFF) << 16);
            }
            case Q8_0 -> { for (int b = 0; b < n / 32; b++) q8_0(seg, offset + 34L * b, out, outOff + 32 * b); }
            case Q4_0 -> { for (int b = 0; b < n / 32; b++) q4_0(seg, offset + 18L * b, out, outOff + 32 * b); }
            case Q4_K -> { for (int b = 0; b < n / 256; b++) q4_K(seg, offset + 144L * b, out, outOff + 256 * b); }
            case Q6_K -> { for (int b = 0; b < n / 256; b++) q6_K(seg, offset + 210L * b, out, outOff + 256 * b); }
        }
    }

    private static float half(MemorySegment s, long off) { return Float.float16ToFloat(s.get(I16, off)); }

    private static int u8(MemorySegment s, long off) { return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF; }

    static void q8_0(MemorySegment s, long off, float[] y, int yo) {
        float d = half(s, off);
        for (int j = 0; j < 32; j++) y[yo + j] = d * s.get(ValueLayout.JAVA_BYTE, off + 2 + j);
    }

    static void q4_0(MemorySegment s, long off, float[] y, int yo) {
        float d = half(s, off);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, off + 2 + j);
            y[yo + j] = d * ((q & 0xF) - 8);
            y[yo + j + 16] = d * ((q >>> 4) - 8);
        }
    }

    static void q4_K(MemorySegment s, long off, float[] y, int yo) {
        float d = half(s, off);
        float dmin = half(s, off + 2);
        int[] sc = new int[12];
        for (int i = 0; i < 12; i++) sc[i] = u8(s, off + 4 + i);
        long qs = off + 16;
        for (int j = 0; j < 4; j++) {           // 4 groups of 64 values = 2 sub-blocks of 32
            int sub0 = 2 * j, sub1 = 2 * j + 1;
            float d1 = d * scaleK4(sub0, sc), m1 = dmin * minK4(sub0, sc);
            float d2 = d * scaleK4(sub1, sc), m2 = dmin * minK4(sub1, sc);
            for (int l = 0; l < 32; l++) {
                int q = u8(s, qs + 32L * j + l);
                y[yo + 64 * j + l] = d1 * (q & 0xF) - m1;
                y[yo + 64 * j + 32 + l] = d2 * (q >>> 4) - m2;
            }
        }
    }

    /** 6-bit scale of sub-block j (0..7) from the 12 packed bytes. */
    static int scaleK4(int j, int[] q) {
        return j < 4 ? q[j] & 63 : (q[j + 4] & 0xF) | ((q[j - 4] >>> 6) << 4);
    }

    /** 6-bit min of sub-block j (0..7) from the 12 packed bytes. */
    static int minK4(int j, int[] q) {
        return j < 4 ? q[j + 4] & 63 : (q[j + 4] >>> 4) | ((q[j] >>> 6) << 4);
    }

    static void q6_K(MemorySegment s, long off, float[] y, int yo) {
        long ql = off, qh = off + 128, scales = off + 192;
        float d = half(s, off + 208);
        for (int half = 0; half < 2; half++) {  // two halves of 128 values
            long qlh = ql + 64L * half, qhh = qh + 32L * half, sch = scales + 8L * half;
            int base = yo + 128 * half;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(s, qhh + l);
                int a = u8(s, qlh + l), b = u8(s, qlh + l + 32);
                int q1 = ((a & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((b & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((b >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[base + l] = d * s.get(ValueLayout.JAVA_BYTE, sch + is) * q1;
                y[base + l + 32] = d * s.get(ValueLayout.JAVA_BYTE, sch + is + 2) * q2;
                y[base + l + 64] = d * s.get(ValueLayout.JAVA_BYTE, sch + is + 4) * q3;
                y[base + l + 96] = d * s.get(ValueLayout.JAVA_BYTE, sch + is + 6) * q4;
            }
        }
    }
}
