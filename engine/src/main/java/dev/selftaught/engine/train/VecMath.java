package dev.selftaught.engine.train;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A vectorised exp built only from lane-wise IEEE operations (fma, add, mul, integer shifts), so
 * it gives the same bits in compiled and interpreted code and on every run: Cody–Waite range
 * reduction {@code x = n·ln2 + r}, a degree-6 polynomial for {@code e^r} (relative error about
 * 2e-7 on the reduced range), and {@code 2^n} assembled in the exponent field. Inputs are clamped
 * to [-87, 88].
 */
final class VecMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float MAGIC = 12582912f; // 1.5 * 2^23: adding it rounds to an integer
    private static final int MAGIC_BITS = 0x4B400000;

    private VecMath() {}

    static FloatVector exp(FloatVector x) {
        x = x.max(-87f).min(88f);
        FloatVector t = x.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, MAGIC));
        FloatVector n = t.sub(MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, 1f / 720f);
        p = p.fma(r, FloatVector.broadcast(S, 1f / 120f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 24f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 6f));
        p = p.fma(r, FloatVector.broadcast(S, 0.5f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        IntVector bits = t.reinterpretAsInts().sub(MAGIC_BITS).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** Scalar twin of {@link #exp(FloatVector)} with the same operations, for tails. */
    static float exp(float x) {
        x = Math.min(Math.max(x, -87f), 88f);
        float t = Math.fma(x, LOG2E, MAGIC);
        float n = t - MAGIC;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = 1f / 720f;
        p = Math.fma(p, r, 1f / 120f);
        p = Math.fma(p, r, 1f / 24f);
        p = Math.fma(p, r, 1f / 6f);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int bits = (Float.floatToRawIntBits(t) - MAGIC_BITS + 127) << 23;
        return p * Float.intBitsToFloat(bits);
    }

    /** Largest of a[o..o+n). */
    static float max(float[] a, int o, int n) {
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i + L <= n; i += L) m = m.max(FloatVector.fromArray(S, a, o + i));
        float r = m.reduceLanes(VectorOperators.MAX); // max is exact in any order
        for (; i < n; i++) r = Math.max(r, a[o + i]);
        return r;
    }

    /** a[i] = exp(a[i] - shift) over a[o..o+n); returns their sum, added in a fixed order. */
    static float expShiftSum(float[] a, int o, int n, float shift) {
        FloatVector sh = FloatVector.broadcast(S, shift);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector e = exp(FloatVector.fromArray(S, a, o + i).sub(sh));
            e.intoArray(a, o + i);
            acc = acc.add(e);
        }
        float s = 0f;
        for (int l = 0; l < L; l++) s += acc.lane(l);
        for (; i < n; i++) {
            float e = exp(a[o + i] - shift);
            a[o + i] = e;
            s += e;
        }
        return s;
    }

    /** a[o..o+n) *= f. */
    static void scale(float[] a, int o, int n, float f) {
        FloatVector fv = FloatVector.broadcast(S, f);
        int i = 0;
        for (; i + L <= n; i += L) FloatVector.fromArray(S, a, o + i).mul(fv).intoArray(a, o + i);
        for (; i < n; i++) a[o + i] *= f;
    }
}
