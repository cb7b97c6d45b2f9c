package dev.selftaught.engine.train;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class VecMathTest {
    @Test
    void expMatchesMathExpToFloatPrecision() {
        int L = FloatVector.SPECIES_PREFERRED.length();
        float[] in = new float[L], out = new float[L];
        double worst = 0;
        for (int k = 0; k < 20000; k++) {
            for (int l = 0; l < L; l++) in[l] = -80f + 88f * ((k * L + l) % 100003) / 100003f;
            VecMath.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, in, 0)).intoArray(out, 0);
            for (int l = 0; l < L; l++) {
                double ref = Math.exp(in[l]);
                double rel = Math.abs(out[l] - ref) / ref;
                worst = Math.max(worst, rel);
                assertEquals(VecMath.exp(in[l]), out[l], 0f, "scalar and vector exp must agree bitwise at " + in[l]);
            }
        }
        assertTrue(worst < 5e-7, "relative error " + worst);
        assertEquals(1f, VecMath.exp(0f), 0f);
    }

    @Test
    void expShiftSumIsASoftmaxDenominator() {
        float[] a = new float[37];
        double ref = 0;
        for (int i = 0; i < a.length; i++) { a[i] = (i % 7) - 3.5f; ref += Math.exp(a[i] - 2.5); }
        float s = VecMath.expShiftSum(a, 0, a.length, 2.5f);
        assertEquals(ref, s, 1e-5 * ref);
        assertEquals(Math.exp(-0.5 - 2.5), a[3], 1e-6);
        assertEquals(2.5f, VecMath.max(new float[] {1f, 2.5f, -3f}, 0, 3));
    }
}
