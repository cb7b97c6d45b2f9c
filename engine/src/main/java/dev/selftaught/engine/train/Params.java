package dev.selftaught.engine.train;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;

import java.util.ArrayList;
import java.util.List;

/**
 * The trainable tensors of a model or adapter as a flat, fixed-order list. The order is the
 * reduction order for the gradient norm and the layout of checkpoints, so it never changes.
 */
public final class Params {
    /** One tensor: its value, its gradient, whether weight decay applies (not to norms and biases). */
    public record Param(String name, float[] value, float[] grad, boolean decay) {}

    private Params() {}

    /** All tensors of a model, paired with the same tensors of a gradient buffer. Tied output counted once. */
    public static List<Param> of(LlamaWeights w, LlamaWeights g) {
        List<Param> p = new ArrayList<>();
        LlamaConfig c = w.config;
        p.add(new Param("tok_embeddings", w.tokenEmbedding, g.tokenEmbedding, true));
        for (int l = 0; l < c.nLayers(); l++) {
            String pre = "layers." + l + ".";
            p.add(new Param(pre + "attention_norm", w.attnNorm[l], g.attnNorm[l], false));
            p.add(new Param(pre + "wq", w.wq[l], g.wq[l], true));
            p.add(new Param(pre + "wk", w.wk[l], g.wk[l], true));
            p.add(new Param(pre + "wv", w.wv[l], g.wv[l], true));
            if (c.qkvBias()) {
                p.add(new Param(pre + "bq", w.bq[l], g.bq[l], false));
                p.add(new Param(pre + "bk", w.bk[l], g.bk[l], false));
                p.add(new Param(pre + "bv", w.bv[l], g.bv[l], false));
            }
            p.add(new Param(pre + "wo", w.wo[l], g.wo[l], true));
            p.add(new Param(pre + "ffn_norm", w.ffnNorm[l], g.ffnNorm[l], false));
            p.add(new Param(pre + "w1", w.w1[l], g.w1[l], true));
            p.add(new Param(pre + "w2", w.w2[l], g.w2[l], true));
            p.add(new Param(pre + "w3", w.w3[l], g.w3[l], true));
        }
        p.add(new Param("norm", w.finalNorm, g.finalNorm, false));
        if (!c.tiedEmbeddings()) p.add(new Param("output", w.output, g.output, true));
        return p;
    }

    /** All matrices of an adapter, paired with its gradient adapter. */
    public static List<Param> of(LoraAdapter w, LoraAdapter g) {
        List<Param> p = new ArrayList<>();
        for (int l = 0; l < w.model.nLayers(); l++) {
            for (LoraConfig.Target t : LoraConfig.Target.values()) {
                if (!w.has(t)) continue;
                String pre = "layers." + l + "." + t.hfName + ".";
                p.add(new Param(pre + "lora_A", w.a[t.ordinal()][l], g.a[t.ordinal()][l], true));
                p.add(new Param(pre + "lora_B", w.b[t.ordinal()][l], g.b[t.ordinal()][l], true));
            }
        }
        return p;
    }

    /** A deep copy of a model's weights (tied output stays tied). */
    public static LlamaWeights copy(LlamaWeights w) {
        LlamaWeights c = new LlamaWeights(w.config);
        List<Param> src = of(w, w), dst = of(c, c);
        for (int i = 0; i < src.size(); i++) System.arraycopy(src.get(i).value(), 0, dst.get(i).value(), 0, src.get(i).value().length);
        return c;
    }

    public static void zeroGrads(List<Param> ps) {
        for (Param p : ps) java.util.Arrays.fill(p.grad(), 0f);
    }

    public static long count(List<Param> ps) {
        long n = 0;
        for (Param p : ps) n += p.value().length;
        return n;
    }
}
