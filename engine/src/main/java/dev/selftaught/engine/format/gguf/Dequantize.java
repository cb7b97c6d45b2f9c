package dev.selftaught.engine.format.gguf;

import dev.selftaught.engine.kernel.Q4KMatrix;
import dev.selftaught.engine.kernel.Q4_0Matrix;
import dev.selftaught.engine.kernel.Q6KMatrix;
import dev.selftaught.engine.kernel.Q8_0Matrix;
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

    static void q8_0(MemorySegment s, long off, float[] y, int yo) { Q8_0Matrix.decodeBlock(s, off, y, yo); }

    static void q4_0(MemorySegment s, long off, float[] y, int yo) { Q4_0Matrix.decodeBlock(s, off, y, yo); }

    static void q4_K(MemorySegment s, long off, float[] y, int yo) { Q4KMatrix.decodeBlock(s, off, y, yo); }

    static void q6_K(MemorySegment s, long off, float[] y, int yo) { Q6KMatrix.decodeBlock(s, off, y, yo); }
}
