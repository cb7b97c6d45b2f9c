package dev.selftaught.engine.train;

import java.util.List;

/**
 * AdamW with decoupled weight decay (applied only to tensors marked {@code decay}: matrices and
 * embeddings, not norms or biases), plus global-norm gradient clipping. Element-wise updates
 * split across threads by tensor ranges; the norm is summed sequentially in double, so a step is
 * bitwise reproducible.
 */
public final class AdamW {
    public final float beta1, beta2, eps, weightDecay;
    final List<Params.Param> params;
    final float[][] m, v;

    public AdamW(List<Params.Param> params, float beta1, float beta2, float eps, float weightDecay) {
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        m = new float[params.size()][];
        v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new float[params.get(i).value().length];
            v[i] = new float[params.get(i).value().length];
        }
    }

    /** L2 norm of all gradients, summed in parameter order. */
    public double gradNorm() {
        double s = 0;
        for (Params.Param p : params) {
            float[] g = p.grad();
            double part = 0;
            for (float x : g) part += (double) x * x;
            s += part;
        }
        return Math.sqrt(s);
    }

    /**
     * Clips the gradients to {@code maxNorm} (when positive), then updates every parameter.
     *
     * @param t 1-based step number for bias correction
     * @return the gradient norm before clipping
     */
    public double step(float lr, long t, float maxNorm, Workers w) {
        double norm = gradNorm();
        float clip = maxNorm > 0 && norm > maxNorm ? (float) (maxNorm / norm) : 1f;
        float bc1 = (float) (1 - Math.pow(beta1, t));
        float bc2 = (float) (1 - Math.pow(beta2, t));
        for (int pi = 0; pi < params.size(); pi++) {
            Params.Param p = params.get(pi);
            float[] val = p.value(), g = p.grad(), mm = m[pi], vv = v[pi];
            float wd = p.decay() ? weightDecay : 0f;
            w.forRange(val.length, 1024, (from, to) -> {
                for (int i = from; i < to; i++) {
                    float gi = g[i] * clip;
                    float mi = beta1 * mm[i] + (1 - beta1) * gi;
                    float vi = beta2 * vv[i] + (1 - beta2) * gi * gi;
                    mm[i] = mi;
                    vv[i] = vi;
                    float mhat = mi / bc1, vhat = vi / bc2;
                    val[i] -= lr * (mhat / ((float) Math.sqrt(vhat) + eps) + wd * val[i]);
                }
            });
        }
        return norm;
    }
}
