package dev.selftaught.engine.format;

import dev.selftaught.engine.model.LlamaWeights;

import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Compares every tensor of two weight sets, bit for bit after an optional rounding of the expected values. */
final class WeightsAssert {
    private WeightsAssert() {}

    static void assertSame(LlamaWeights a, LlamaWeights b) { assertSame(a, b, x -> x); }

    static void assertSame(LlamaWeights a, LlamaWeights b, DoubleUnaryOperator round) {
        assertEquals(a.config, b.config);
        eq("tokenEmbedding", a.tokenEmbedding, b.tokenEmbedding, round);
        eq("output", a.output, b.output, round);
        eq("finalNorm", a.finalNorm, b.finalNorm, x -> x);
        for (int l = 0; l < a.config.nLayers(); l++) {
            eq("wq" + l, a.wq[l], b.wq[l], round);
            eq("wk" + l, a.wk[l], b.wk[l], round);
            eq("wv" + l, a.wv[l], b.wv[l], round);
            eq("wo" + l, a.wo[l], b.wo[l], round);
            eq("w1" + l, a.w1[l], b.w1[l], round);
            eq("w2" + l, a.w2[l], b.w2[l], round);
            eq("w3" + l, a.w3[l], b.w3[l], round);
            eq("attnNorm" + l, a.attnNorm[l], b.attnNorm[l], x -> x);
            eq("ffnNorm" + l, a.ffnNorm[l], b.ffnNorm[l], x -> x);
            if (a.config.qkvBias()) {
                eq("bq" + l, a.bq[l], b.bq[l], x -> x);
                eq("bk" + l, a.bk[l], b.bk[l], x -> x);
                eq("bv" + l, a.bv[l], b.bv[l], x -> x);
            }
        }
    }

    private static void eq(String what, float[] expected, float[] actual, DoubleUnaryOperator round) {
        float[] e = new float[expected.length];
        for (int i = 0; i < e.length; i++) e[i] = (float) round.applyAsDouble(expected[i]);
        assertEquals(e.length, actual.length, what + " length");
        for (int i = 0; i < e.length; i++) {
            if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(actual[i])) {
                assertArrayEquals(e, actual, what + " differs at " + i);
            }
        }
    }

    /** Random weights with non-trivial norms and biases, so that every tensor is distinguishable. */
    static LlamaWeights random(dev.selftaught.engine.model.LlamaConfig c, long seed) {
        LlamaWeights w = new LlamaWeights(c).initRandom(seed);
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed + 1);
        for (int l = 0; l < c.nLayers(); l++) {
            for (int i = 0; i < c.dim(); i++) { w.attnNorm[l][i] = (float) r.nextDouble(0.5, 1.5); w.ffnNorm[l][i] = (float) r.nextDouble(0.5, 1.5); }
            if (c.qkvBias()) {
                for (int i = 0; i < w.bq[l].length; i++) w.bq[l][i] = (float) r.nextDouble(-0.1, 0.1);
                for (int i = 0; i < w.bk[l].length; i++) w.bk[l][i] = (float) r.nextDouble(-0.1, 0.1);
                for (int i = 0; i < w.bv[l].length; i++) w.bv[l][i] = (float) r.nextDouble(-0.1, 0.1);
            }
        }
        for (int i = 0; i < c.dim(); i++) w.finalNorm[i] = (float) r.nextDouble(0.5, 1.5);
        return w;
    }
}
