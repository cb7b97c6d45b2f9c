package dev.selftaught.engine.format;

import dev.selftaught.engine.format.gguf.Dequantize;
import dev.selftaught.engine.format.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Quantized blocks built by hand from the ggml block layouts (packers written element by element
 * here, independently of the decoder's loops) decode to the values the layout defines.
 */
class DequantizeTest {

    static void half(byte[] b, int off, float v) {
        short h = Float.floatToFloat16(v);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    static float[] decode(byte[] block, GgmlType t, int n) {
        float[] out = new float[n];
        Dequantize.toFloats(MemorySegment.ofArray(block), 0, t, out, 0, n);
        return out;
    }

    @Test
    void q8_0() {
        byte[] b = new byte[34];
        half(b, 0, 0.5f);
        int[] q = new int[32];
        for (int i = 0; i < 32; i++) { q[i] = i * 8 - 128; b[2 + i] = (byte) q[i]; }   // -128, -120, ..., 120
        float[] y = decode(b, GgmlType.Q8_0, 32);
        assertEquals(-64f, y[0]);    // 0.5 * -128
        assertEquals(60f, y[31]);    // 0.5 * 120
        for (int i = 0; i < 32; i++) assertEquals(0.5f * q[i], y[i]);
    }

    @Test
    void q4_0() {
        byte[] b = new byte[18];
        half(b, 0, 2f);
        int[] q = new int[32];                       // 4-bit codes, value = d * (code - 8)
        for (int i = 0; i < 32; i++) q[i] = (i * 5 + 3) % 16;
        for (int j = 0; j < 16; j++) b[2 + j] = (byte) (q[j] | (q[j + 16] << 4));   // element j low nibble, j+16 high
        float[] y = decode(b, GgmlType.Q4_0, 32);
        assertEquals(2f * (3 - 8), y[0]);
        assertEquals(2f * (((16 * 5 + 3) % 16) - 8), y[16]);
        for (int i = 0; i < 32; i++) assertEquals(2f * (q[i] - 8), y[i], "element " + i);
    }

    @Test
    void q4_K() {
        int[] sc = {1, 2, 3, 4, 17, 33, 50, 63};    // 6-bit sub-block scales; the last four need the high bits
        int[] mn = {0, 5, 10, 15, 20, 40, 60, 63};   // 6-bit sub-block mins
        byte[] b = new byte[144];
        half(b, 0, 0.25f);   // d
        half(b, 2, 0.5f);    // dmin
        // Packing of the 12 scale bytes: bytes 0-3 = scale 0-3 (low 6 bits) + bits 4-5 of scale 4-7 in
        // the top 2 bits; bytes 4-7 = min 0-3 + bits 4-5 of min 4-7 on top; bytes 8-11 = low 4 bits of
        // scale 4-7 (low nibble) and of min 4-7 (high nibble).
        for (int j = 0; j < 4; j++) {
            b[4 + j] = (byte) (sc[j] | ((sc[j + 4] >> 4) << 6));
            b[8 + j] = (byte) (mn[j] | ((mn[j + 4] >> 4) << 6));
            b[12 + j] = (byte) ((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
        }
        int[] q = new int[256];
        for (int i = 0; i < 256; i++) q[i] = (i * 7 + i / 32) % 16;
        // Element i is in sub-block s = i/32; sub-blocks 2g and 2g+1 share the 32 bytes of group g,
        // the even one in the low nibbles, the odd one in the high nibbles.
        for (int i = 0; i < 256; i++) {
            int s = i / 32, g = s / 2, byteIndex = 16 + 32 * g + i % 32;
            b[byteIndex] |= (byte) (s % 2 == 0 ? q[i] : q[i] << 4);
        }
        float[] y = decode(b, GgmlType.Q4_K, 256);
        assertEquals(0.25f * 1 * q[0] - 0.5f * 0, y[0]);
        assertEquals(0.25f * 63 * q[255] - 0.5f * 63, y[255]);
        for (int i = 0; i < 256; i++) {
            int s = i / 32;
            assertEquals(0.25f * sc[s] * q[i] - 0.5f * mn[s], y[i], 1e-6f, "element " + i);
        }
    }

    @Test
    void q6_K() {
        byte[] b = new byte[210];
        int[] scales = new int[16];
        for (int k = 0; k < 16; k++) { scales[k] = k * 9 - 70; b[192 + k] = (byte) scales[k]; }   // signed 8-bit
        half(b, 208, 0.125f);
        int[] q = new int[256];                         // 6-bit codes, value = d * scale * (code - 32)
        for (int i = 0; i < 256; i++) q[i] = (i * 13 + 5) % 64;
        // Element i: half h = i/128, r = i%128, quarter k = r/32, l = r%32. Low 4 bits in
        // ql[64h + l + 32*(k%2)] (low nibble for k<2, high for k>=2); high 2 bits in qh[32h + l] at
        // bit 2k; scale index 8h + l/16 + 2k.
        for (int i = 0; i < 256; i++) {
            int h = i / 128, r = i % 128, k = r / 32, l = r % 32;
            int lo = q[i] & 0xF, hi = q[i] >> 4;
            b[64 * h + l + 32 * (k % 2)] |= (byte) (k < 2 ? lo : lo << 4);
            b[128 + 32 * h + l] |= (byte) (hi << (2 * k));
        }
        float[] y = decode(b, GgmlType.Q6_K, 256);
        for (int i = 0; i < 256; i++) {
            int h = i / 128, r = i % 128, k = r / 32, l = r % 32;
            assertEquals(0.125f * scales[8 * h + l / 16 + 2 * k] * (q[i] - 32), y[i], 1e-6f, "element " + i);
        }
        assertEquals(0.125f * scales[0] * (q[0] - 32), y[0]);
    }

    @Test
    void f16AndBf16() {
        byte[] b = new byte[8];
        half(b, 0, 1.5f);
        half(b, 2, -0.000061035156f);   // smallest normal f16
        assertArrayEquals(new float[] {1.5f, -0.000061035156f}, decode(b, GgmlType.F16, 2));
        int bits = Float.floatToRawIntBits(-3.140625f);   // exactly representable in bf16
        b[4] = (byte) (bits >>> 16);
        b[5] = (byte) (bits >>> 24);
        float[] out = new float[1];
        Dequantize.toFloats(MemorySegment.ofArray(b), 4, GgmlType.BF16, out, 0, 1);
        assertEquals(-3.140625f, out[0]);
    }
}
