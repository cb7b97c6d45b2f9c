package dev.selftaught.engine.train;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks of the backward pass. Every parameter tensor is probed, so each op's
 * backward (embedding, RMSNorm, matmul, RoPE, causal GQA attention with packing masks, SwiGLU,
 * cross-entropy, Qwen2 biases, LoRA) is on the path of some checked gradient. Central differences
 * in float32 with a large step: tolerance is relative to the tensor's gradient scale.
 */
class GradCheckTest {
    static final Workers W = new Workers(2);

    @AfterAll
    static void close() { W.close(); }

    static LlamaWeights randomWeights(LlamaConfig c, long seed, float std) {
        LlamaWeights w = new LlamaWeights(c);
        SplittableRandom r = new SplittableRandom(seed);
        for (Params.Param p : Params.of(w, w)) {
            boolean norm = !p.decay() && !p.name().contains(".b");
            for (int i = 0; i < p.value().length; i++) {
                float z = (float) ((r.nextDouble() * 2 - 1) * std * 1.7);
                p.value()[i] = norm ? 1f + z : z;
            }
        }
        return w;
    }

    /** Two rows; the second packs two examples (segments 1 and 2, positions restarting), some targets ignored. */
    static TokenBatch packedBatch(int V) {
        int B = 2, T = 7;
        int[] tok = {1, 5, 3, 7, 2, 9, 4, 6, 0, 8, 3, 5, 1, 2};
        int[] tgt = {5, 3, 7, 2, 9, 4, 10, -1, 8, 3, -1, 1, 2, 6};
        int[] pos = {0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 0, 1, 2};
        int[] seg = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2};
        for (int i = 0; i < tok.length; i++) { tok[i] %= V; if (tgt[i] >= 0) tgt[i] %= V; }
        return new TokenBatch(B, T, tok, tgt, pos, seg);
    }

    static void check(TrainingModel m, TokenBatch b, List<Params.Param> params, int probes) {
        m.forwardBackward(b, 1f, 7L);
        SplittableRandom r = new SplittableRandom(3);
        float eps = 1e-2f;
        for (Params.Param p : params) {
            float[] val = p.value(), grad = p.grad();
            double scale = 0;
            for (float gv : grad) scale = Math.max(scale, Math.abs(gv));
            assertTrue(scale > 1e-4, p.name() + ": gradient is all (near) zero: " + scale);
            for (int probe = 0; probe < probes; probe++) {
                int i = r.nextInt(val.length);
                float orig = val[i];
                val[i] = orig + eps;
                double lp = m.loss(b);
                val[i] = orig - eps;
                double lm = m.loss(b);
                val[i] = orig;
                double fd = (lp - lm) / (2 * eps);
                double err = Math.abs(fd - grad[i]);
                assertTrue(err <= 0.02 * scale + 2e-3 * Math.abs(fd),
                        p.name() + "[" + i + "]: analytic " + grad[i] + " vs finite difference " + fd + " (tensor grad scale " + scale + ")");
            }
        }
    }

    @Test
    void fullModelGqaUntiedPacked() {
        LlamaConfig c = new LlamaConfig(16, 24, 2, 4, 2, 11, 16, 1e-5f, 10000f, null, false, false);
        LlamaWeights w = randomWeights(c, 1, 0.3f);
        TrainingModel m = new TrainingModel(w, true, null, W);
        check(m, packedBatch(c.vocabSize()), Params.of(w, m.grads), 6);
    }

    @Test
    void fullModelTiedWithQkvBiasAndRopeScaling() {
        LlamaConfig c = new LlamaConfig(16, 20, 2, 2, 1, 13, 16, 1e-5f, 500f,
                new LlamaConfig.RopeScaling(8f, 1f, 4f, 8), true, true);
        LlamaWeights w = randomWeights(c, 2, 0.3f);
        TrainingModel m = new TrainingModel(w, true, null, W);
        check(m, packedBatch(c.vocabSize()), Params.of(w, m.grads), 6);
    }

    @Test
    void loraAdaptersWithDropout() {
        LlamaConfig c = new LlamaConfig(16, 24, 2, 4, 2, 11, 16, 1e-5f, 10000f, null, false, false);
        LlamaWeights w = randomWeights(c, 4, 0.3f);
        LoraAdapter lora = new LoraAdapter(new LoraConfig(3, 6f, 0.25f, EnumSet.allOf(LoraConfig.Target.class)), c).initRandom(5);
        // non-zero B so gradients of A are non-zero too
        SplittableRandom r = new SplittableRandom(6);
        for (float[][] bs : lora.b) for (float[] bm : bs) for (int i = 0; i < bm.length; i++) bm[i] = (float) (r.nextDouble() - 0.5);
        TrainingModel m = new TrainingModel(w, false, lora, W);
        // the finite difference must see the same dropout mask: loss() has no dropout, so compare
        // against a model whose dropout is off but whose gradient path is the same
        LoraAdapter noDrop = new LoraAdapter(new LoraConfig(3, 6f, 0f, EnumSet.allOf(LoraConfig.Target.class)), c);
        for (int t = 0; t < lora.a.length; t++) for (int l = 0; l < c.nLayers(); l++) {
            System.arraycopy(lora.a[t][l], 0, noDrop.a[t][l], 0, lora.a[t][l].length);
            System.arraycopy(lora.b[t][l], 0, noDrop.b[t][l], 0, lora.b[t][l].length);
        }
        TrainingModel m0 = new TrainingModel(w, false, noDrop, W);
        check(m0, packedBatch(c.vocabSize()), Params.of(noDrop, m0.loraGrads), 4);
        // with dropout the gradient differs from the dropout-free one but stays finite and non-zero
        m.forwardBackward(packedBatch(c.vocabSize()), 1f, 9L);
        double diff = 0;
        List<Params.Param> pd = Params.of(lora, m.loraGrads), p0 = Params.of(noDrop, m0.loraGrads);
        for (int i = 0; i < pd.size(); i++) for (int j = 0; j < pd.get(i).grad().length; j++) {
            assertTrue(Float.isFinite(pd.get(i).grad()[j]));
            diff += Math.abs(pd.get(i).grad()[j] - p0.get(i).grad()[j]);
        }
        assertTrue(diff > 1e-3, "dropout had no effect on the adapter gradient");
    }
}
