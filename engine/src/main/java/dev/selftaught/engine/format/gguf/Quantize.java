package dev.selftaught.engine.format.gguf;

/**
 * Encodes floats into ggml block layouts (the inverse of {@link Dequantize}; layouts documented
 * there). Round-to-nearest with one scale per block, the simple rule of each format: good enough
 * for test and benchmark models (llama.cpp's own quantizer searches scales to lower the error
 * further, which changes the values but not the layout).
 */
public final class Quantize {
    private Quantize() {}

    /** Encodes {@code n} values of {@code x} from {@code off} (a whole number of blocks) as {@code type}. */
    public static byte[] encode(GgmlType type, float[] x, int off, int n) {
        if (n % type.blockSize != 0) throw new IllegalArgumentException(n + " values are not a whole number of " + type + " blocks");
        byte[] out = new byte[(int) type.bytesFor(n)];
        int blocks = n / type.blockSize;
        for (int b = 0; b < blocks; b++) {
            int xo = off + b * type.blockSize, o = b * type.blockBytes;
            switch (type) {
                case F32 -> putInt(out, o, Float.floatToRawIntBits(x[xo]));
                case F16 -> putShort(out, o, Float.floatToFloat16(x[xo]));
                case BF16 -> putShort(out, o, (short) (bf16Round(x[xo]) >>> 16));
                case Q8_0 -> q8_0(x, xo, out, o);
                case Q4_0 -> q4_0(x, xo, out, o);
                case Q4_K -> q4_K(x, xo, out, o);
                case Q6_K -> throw new IllegalArgumentException("no Q6_K encoder (the reader decodes it)");
            }
        }
        return out;
    }

    private static int bf16Round(float v) {
        int bits = Float.floatToRawIntBits(v);
        return bits + 0x7FFF + ((bits >>> 16) & 1) & 0xFFFF0000;   // round to nearest even
    }

    static void putShort(byte[] b, int o, short v) { b[o] = (byte) v; b[o + 1] = (byte) (v >> 8); }

    static void putInt(byte[] b, int o, int v) { for (int i = 0; i < 4; i++) b[o + i] = (byte) (v >> (8 * i)); }

    /** Q8_0: d = max|x| / 127, q = round(x / d). */
    static void q8_0(float[] x, int xo, byte[] out, int o) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
        short dh = Float.floatToFloat16(amax / 127f);
        float d = Float.float16ToFloat(dh);
        float id = d == 0 ? 0 : 1f / d;
        putShort(out, o, dh);
        for (int j = 0; j < 32; j++) out[o + 2 + j] = (byte) Math.max(-127, Math.min(127, Math.round(x[xo + j] * id)));
    }

    /**
     * Q4_0: the value of largest magnitude maps to code 0 (d = that value / -8), so one end of
     * the range is exact and codes run 0..15 for d*(q-8).
     */
    static void q4_0(float[] x, int xo, byte[] out, int o) {
        float max = 0;
        for (int j = 0; j < 32; j++) if (Math.abs(x[xo + j]) > Math.abs(max)) max = x[xo + j];
        short dh = Float.floatToFloat16(max / -8f);
        float d = Float.float16ToFloat(dh);
        float id = d == 0 ? 0 : 1f / d;
        putShort(out, o, dh);
        for (int j = 0; j < 16; j++) {
            int lo = Math.max(0, Math.min(15, Math.round(x[xo + j] * id) + 8));
            int hi = Math.max(0, Math.min(15, Math.round(x[xo + j + 16] * id) + 8));
            out[o + 2 + j] = (byte) (lo | (hi << 4));
        }
    }

    /**
     * Q4_K: each sub-block of 32 gets scale = (max - min) / 15 and offset = -min (min clamped to
     * at most 0); the 8 scales and 8 offsets are themselves quantized to 6 bits against the
     * super-block's d = max scale / 63 and dmin = max offset / 63; codes q = round((x + m) / s).
     */
    static void q4_K(float[] x, int xo, byte[] out, int o) {
        float[] scale = new float[8], min = new float[8];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float lo = 0, hi = 0;
            for (int i = 0; i < 32; i++) { float v = x[xo + 32 * j + i]; lo = Math.min(lo, v); hi = Math.max(hi, v); }
            scale[j] = (hi - lo) / 15f;
            min[j] = -lo;
            maxScale = Math.max(maxScale, scale[j]);
            maxMin = Math.max(maxMin, min[j]);
        }
        short dh = Float.floatToFloat16(maxScale / 63f), mh = Float.floatToFloat16(maxMin / 63f);
        float d = Float.float16ToFloat(dh), dmin = Float.float16ToFloat(mh);
        putShort(out, o, dh);
        putShort(out, o + 2, mh);
        int[] sc = new int[8], mn = new int[8];
        for (int j = 0; j < 8; j++) {
            sc[j] = d == 0 ? 0 : Math.min(63, Math.round(scale[j] / d));
            mn[j] = dmin == 0 ? 0 : Math.min(63, Math.round(min[j] / dmin));
        }
        int s = o + 4;
        for (int j = 0; j < 4; j++) {
            out[s + j] = (byte) (sc[j] | ((sc[j + 4] >>> 4) << 6));
            out[s + j + 4] = (byte) (mn[j] | ((mn[j + 4] >>> 4) << 6));
            out[s + j + 8] = (byte) ((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
        }
        for (int g = 0; g < 4; g++) {
            float d1 = d * sc[2 * g], m1 = dmin * mn[2 * g], d2 = d * sc[2 * g + 1], m2 = dmin * mn[2 * g + 1];
            for (int l = 0; l < 32; l++) {
                int lo = code(x[xo + 64 * g + l], d1, m1), hi = code(x[xo + 64 * g + 32 + l], d2, m2);
                out[o + 16 + 32 * g + l] = (byte) (lo | (hi << 4));
            }
        }
    }

    private static int code(float v, float s, float m) {
        return s == 0 ? 0 : Math.max(0, Math.min(15, Math.round((v + m) / s)));
    }
}
