package dev.selftaught.engine.train;

/**
 * DPO with an NLL term (spec §2.7; fairseq2's DPO finetuning unit): for a pair with prompt x,
 * chosen y_w and rejected y_l, with log π(y|x) summed over the answer's tokens (prompt masked),
 * <pre>
 *   z    = β · [(log π_θ(y_w|x) − log π_ref(y_w|x)) − (log π_θ(y_l|x) − log π_ref(y_l|x))]
 *   loss = −log σ(z) + α · (−log π_θ(y_w|x)) / |y_w|
 * </pre>
 * averaged over the pairs of an optimizer step: β = {@code beta}, α = {@code nllScale} (the NLL
 * term is the chosen answer's mean token loss). The reference log-probabilities are constants,
 * computed once ({@link DpoReference}). The gradient reaches each token through its sequence's
 * log-probability: for chosen tokens the weight of their loss is (β·σ(−z) + α/|y_w|) / pairs, for
 * rejected tokens −β·σ(−z) / pairs ({@link TrainingModel.TokenWeights}).
 */
public final class DpoObjective implements Objective {
    /** Defaults of the released model's recipe (spec §2.7): β 0.1, NLL scale 1.5. */
    public static final double BETA = 0.1, NLL_SCALE = 1.5;

    /** Means over the last optimizer step's pairs. */
    public record Stats(long step, int pairs, double loss, double dpoLoss, double nll, double margin, double accuracy,
                        double chosenReward, double rejectedReward) {}

    private final DpoPlan plan;
    private final double[] reference;
    private final double beta, nllScale;
    private int pairs;
    private double sumLoss, sumDpo, sumNll, sumMargin, sumCorrect, sumChosen, sumRejected;
    private volatile Stats last;

    /**
     * @param reference per pair index i: {@code [2i]} = log π_ref(chosen), {@code [2i+1]} = log π_ref(rejected)
     */
    public DpoObjective(DpoPlan plan, double[] reference, double beta, double nllScale) {
        if (reference.length != 2 * plan.pairCount()) {
            throw new IllegalArgumentException("reference holds " + reference.length / 2 + " pairs, the plan " + plan.pairCount());
        }
        if (!(beta > 0)) throw new IllegalArgumentException("beta must be > 0, got " + beta);
        if (!(nllScale >= 0)) throw new IllegalArgumentException("nll scale must be >= 0, got " + nllScale);
        this.plan = plan;
        this.reference = reference;
        this.beta = beta;
        this.nllScale = nllScale;
    }

    @Override public int size() { return plan.size(); }
    @Override public TokenBatch batch(int i) { return plan.get(i).tokens(); }
    @Override public double weight(int i) { return plan.get(i).size(); }
    @Override public String fingerprint() { return "|dpo beta=" + beta + " nll=" + nllScale; }

    @Override
    public double forwardBackward(TrainingModel model, int i, double norm, long seed) {
        DpoPlan.Batch b = plan.get(i);
        double[] total = new double[1];
        model.forwardBackwardWeighted(b.tokens(), (tokenLoss, scale) -> {
            int[] counts = new int[2 * b.size()];
            double[] logp = DpoPlan.sequenceLogps(b, tokenLoss, counts);
            int[] seg = b.tokens().segments();
            int maxSeg = 0;
            for (int s : seg) maxSeg = Math.max(maxSeg, s);
            float[] segScale = new float[maxSeg + 1];
            for (int k = 0; k < b.size(); k++) {
                int pair = b.pairs()[k];
                double chosen = logp[2 * k] - reference[2 * pair], rejected = logp[2 * k + 1] - reference[2 * pair + 1];
                double z = beta * (chosen - rejected);
                double sigNeg = sigmoid(-z);
                double dpo = softplus(-z); // −log σ(z), stable for large |z|
                double nll = -logp[2 * k] / counts[2 * k];
                total[0] += dpo + nllScale * nll;
                segScale[b.chosenSegments()[k]] = (float) ((beta * sigNeg + nllScale / counts[2 * k]) / norm);
                segScale[b.rejectedSegments()[k]] = (float) (-beta * sigNeg / norm);
                synchronized (this) {
                    pairs++;
                    sumLoss += dpo + nllScale * nll;
                    sumDpo += dpo;
                    sumNll += nll;
                    sumMargin += beta * (chosen - rejected);
                    sumCorrect += z > 0 ? 1 : 0;
                    sumChosen += beta * chosen;
                    sumRejected += beta * rejected;
                }
            }
            for (int p = 0; p < seg.length; p++) if (seg[p] > 0 && !Double.isNaN(tokenLoss[p])) scale[p] = segScale[seg[p]];
        }, seed);
        return total[0];
    }

    @Override
    public synchronized void stepDone(long step) {
        last = pairs == 0 ? null : new Stats(step, pairs, sumLoss / pairs, sumDpo / pairs, sumNll / pairs, sumMargin / pairs,
                sumCorrect / pairs, sumChosen / pairs, sumRejected / pairs);
        pairs = 0;
        sumLoss = sumDpo = sumNll = sumMargin = sumCorrect = sumChosen = sumRejected = 0;
    }

    /**
     * The last optimizer step's means: loss, its DPO and NLL parts, the reward margin
     * β·[(log π_θ − log π_ref)(y_w) − (log π_θ − log π_ref)(y_l)], the fraction of pairs whose margin
     * is positive, and the implicit rewards of chosen and rejected; null before the first step.
     */
    public Stats lastStats() { return last; }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    /**
     * The loss of a plan under the current model, without gradients: mean over its first epoch's
     * pairs (for tests and validation). Returns {loss, mean margin, accuracy}.
     */
    public double[] evaluate(TrainingModel model) {
        double loss = 0, margin = 0, correct = 0;
        int n = 0;
        for (int i = 0; i < plan.firstEpochSize(); i++) {
            DpoPlan.Batch b = plan.get(i);
            int[] counts = new int[2 * b.size()];
            double[] logp = DpoPlan.sequenceLogps(b, model.tokenLosses(b.tokens()), counts);
            for (int k = 0; k < b.size(); k++) {
                int pair = b.pairs()[k];
                double z = beta * ((logp[2 * k] - reference[2 * pair]) - (logp[2 * k + 1] - reference[2 * pair + 1]));
                loss += softplus(-z) + nllScale * (-logp[2 * k] / counts[2 * k]);
                margin += z;
                correct += z > 0 ? 1 : 0;
                n++;
            }
        }
        return new double[] {loss / n, margin / n, correct / n};
    }
}
