package dev.selftaught.engine.train;

/**
 * The per-token GRPO objective (Shao et al. 2024, as J1 uses it for judges), for a token with
 * current log-probability {@code lp}, log-probability {@code old} under the weights that sampled
 * it, {@code ref} under the frozen reference model, its sequence's advantage {@code A} and weight
 * {@code w} (1 / (sequences in the batch × the sequence's completion tokens): each sequence's
 * tokens are averaged, then the sequences):
 *
 * <pre>
 *   r = exp(lp − old)
 *   L = w · ( −min(r·A, clip(r, 1−ε, 1+ε)·A) + β · k3 ),   k3 = exp(ref − lp) − (ref − lp) − 1
 * </pre>
 *
 * k3 is Schulman's non-negative, unbiased estimator of KL(π ‖ π_ref) from samples of π (the one the
 * GRPO paper uses). Where the clipped branch is the minimum and r lies outside [1−ε, 1+ε], the
 * policy-gradient term has no gradient (PPO's trust region).
 *
 * @param clipEps ε of the ratio clipping
 * @param klBeta  β, the weight of the KL term
 */
public record GrpoLoss(double clipEps, double klBeta) {
    public GrpoLoss {
        if (!(clipEps > 0 && clipEps < 1)) throw new IllegalArgumentException("clip ε must be in (0, 1), got " + clipEps);
        if (!(klBeta >= 0) || Double.isInfinite(klBeta)) throw new IllegalArgumentException("KL β must be >= 0, got " + klBeta);
    }

    /** k3 estimate of the KL divergence at one token. */
    public static double kl(double lp, double ref) {
        double x = ref - lp;
        return Math.exp(x) - x - 1;
    }

    /** Whether the ratio is clipped so the policy-gradient term carries no gradient. */
    public boolean clipped(double lp, double old, double adv) {
        double r = Math.exp(lp - old);
        return adv > 0 ? r > 1 + clipEps : adv < 0 && r < 1 - clipEps;
    }

    /** The term L. */
    public double value(double lp, double old, double ref, double adv, double w) {
        double r = Math.exp(lp - old);
        double clippedR = Math.max(1 - clipEps, Math.min(1 + clipEps, r));
        return w * (-Math.min(r * adv, clippedR * adv) + klBeta * kl(lp, ref));
    }

    /** dL/d lp. */
    public double gradient(double lp, double old, double ref, double adv, double w) {
        double pg = clipped(lp, old, adv) ? 0 : -adv * Math.exp(lp - old);
        return w * (pg + klBeta * (1 - Math.exp(ref - lp)));
    }
}
