package dev.selftaught.engine.train;

import dev.selftaught.engine.model.LlamaWeights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The training loop: micro-batches → gradient accumulation → clipping → AdamW with warm-up and
 * cosine decay; validation loss and an optional task metric every K steps, keeping the best
 * parameters; a resumable state file (weights, optimizer moments, step = data position, best so
 * far) written atomically. Dropout randomness is derived from the seed and the micro-batch index,
 * so a resumed run replays exactly the batches and masks an uninterrupted run would have seen.
 *
 * <p>Full fine-tuning updates {@code weights} in place; with {@link TrainOptions#lora()} the base
 * is frozen and only {@link #adapter()} changes.
 */
public final class Trainer implements AutoCloseable {

    /** Progress of one optimizer step. */
    public record Step(long step, long totalSteps, double loss, float lr, double gradNorm,
                       long tokensSeen, double tokensPerSecond, double etaSeconds) {}

    /** Result of one evaluation (validation loss NaN without validation data, metric NaN without a hook). */
    public record Evaluation(long step, double validationLoss, double metric, boolean best) {}

    /** Receives progress; default methods do nothing. */
    public interface Listener {
        default void onStep(Step s) {}
        default void onEvaluation(Evaluation e) {}
    }

    /**
     * A task metric computed on the current model (higher is better), e.g. pairwise judge
     * accuracy. For LoRA runs it receives the base with the adapter merged in.
     */
    @FunctionalInterface
    public interface Metric {
        double evaluate(LlamaWeights model, long step);
    }

    /** What a run ended with. */
    public record Result(long steps, double finalLoss, Evaluation best, List<Evaluation> evaluations, boolean stoppedEarly, boolean resumed) {}

    private final LlamaWeights weights;
    private final TrainOptions opt;
    private final Workers workers;
    private final LoraAdapter adapter;
    private final TrainingModel model;
    private final List<Params.Param> params;
    private final AdamW adam;

    public Trainer(LlamaWeights weights, TrainOptions opt) {
        this.weights = weights;
        this.opt = opt;
        this.workers = new Workers(opt.threads());
        this.adapter = opt.lora() == null ? null : new LoraAdapter(opt.lora(), weights.config).initRandom(opt.seed());
        this.model = new TrainingModel(weights, adapter == null, adapter, workers);
        this.params = adapter == null ? Params.of(weights, model.grads) : Params.of(adapter, model.loraGrads);
        this.adam = new AdamW(params, opt.beta1(), opt.beta2(), opt.eps(), opt.weightDecay());
    }

    /** The trained adapter, or null for full fine-tuning. */
    public LoraAdapter adapter() { return adapter; }

    /** The model weights (the frozen base in LoRA runs). */
    public LlamaWeights weights() { return weights; }

    /** Trainable parameters (model tensors, or adapter tensors for LoRA). */
    public List<Params.Param> parameters() { return params; }

    /** Mean token loss over a plan, no dropout. */
    public double evaluateLoss(BatchPlan plan) {
        double sum = 0;
        long n = 0;
        for (int i = 0; i < plan.size(); i++) {
            TokenBatch b = plan.get(i);
            sum += model.loss(b);
            n += b.targetCount();
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /**
     * Trains over the whole plan.
     *
     * @param validation  validation batches, or null
     * @param metric      task metric, or null (then the best checkpoint is chosen by validation loss)
     * @param stateDir    directory for the resumable state ({@code trainer-state.bin}, {@code best.bin}), or null
     */
    public Result train(BatchPlan data, BatchPlan validation, Metric metric, Path stateDir, Listener listener) {
        return train(Objective.tokens(data), validation, metric, stateDir, listener);
    }

    /** The model being trained, for objectives that need its forward pass (e.g. reference log-probabilities before training). */
    public TrainingModel model() { return model; }

    /**
     * Trains on any objective (SFT's token loss, DPO, ...): the same steps, schedule, clipping,
     * evaluation, checkpoint selection and resumable state as {@link #train(BatchPlan, BatchPlan, Metric, Path, Listener)}.
     */
    public Result train(Objective data, BatchPlan validation, Metric metric, Path stateDir, Listener listener) {
        Listener ls = listener == null ? new Listener() {} : listener;
        int accum = opt.accumSteps();
        long totalSteps = (data.size() + accum - 1) / accum;
        LrSchedule schedule = new LrSchedule(opt.lr(), opt.warmupSteps(), totalSteps, opt.finalLrRatio());
        TrainState state = new TrainState();
        boolean resumed = false;
        if (stateDir != null) {
            try {
                Files.createDirectories(stateDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create training state directory " + stateDir, e);
            }
            resumed = state.load(stateDir, opt.fingerprint() + "|" + data.size() + data.fingerprint(), params, adam);
        }
        boolean selecting = validation != null || metric != null;
        long startStep = state.step;
        long startNanos = System.nanoTime();
        long tokensThisSession = 0;
        double lastLoss = state.lastLoss;
        boolean stopped = state.stopped;
        for (long step = state.step; step < totalSteps && !stopped; step++) {
            Params.zeroGrads(params);
            int first = (int) (step * accum), last = (int) Math.min(data.size(), first + accum);
            double units = 0;
            long tokens = 0;
            for (int i = first; i < last; i++) {
                TokenBatch b = data.batch(i);
                units += data.weight(i);
                tokens += (long) b.batch() * b.seqLen();
            }
            double lossSum = 0;
            for (int i = first; i < last; i++) lossSum += data.forwardBackward(model, i, units, opt.seed() * 1_000_003L + i);
            float lr = schedule.at(step);
            double norm = adam.step(lr, step + 1, opt.gradClip(), workers);
            data.stepDone(step + 1);
            lastLoss = units == 0 ? Double.NaN : lossSum / units;
            tokensThisSession += tokens;
            double secs = (System.nanoTime() - startNanos) / 1e9;
            double tps = tokensThisSession / Math.max(secs, 1e-9);
            double eta = (totalSteps - step - 1) * secs / (step + 1 - startStep);
            ls.onStep(new Step(step + 1, totalSteps, lastLoss, lr, norm, tokensThisSession, tps, eta));
            boolean lastStep = step + 1 == totalSteps;
            if (selecting && ((opt.evalEvery() > 0 && (step + 1) % opt.evalEvery() == 0) || lastStep)) {
                Evaluation e = evaluate(step + 1, validation, metric, state);
                ls.onEvaluation(e);
                if (e.best()) state.saveBest(stateDir, params);
                if (!e.best() && opt.patience() > 0 && state.sinceBest >= opt.patience()) stopped = true;
            }
            state.step = step + 1;
            state.lastLoss = lastLoss;
            state.stopped = stopped;
            if (stateDir != null && ((opt.checkpointEvery() > 0 && (step + 1) % opt.checkpointEvery() == 0) || lastStep || stopped)) {
                state.save(stateDir, opt.fingerprint() + "|" + data.size() + data.fingerprint(), params, adam);
            }
        }
        if (selecting && state.bestStep > 0) state.restoreBest(stateDir, params);
        Evaluation best = state.bestStep > 0 ? new Evaluation(state.bestStep, state.bestLoss, state.bestMetric, true) : null;
        return new Result(state.step, lastLoss, best, List.copyOf(state.evaluations), stopped, resumed);
    }

    private Evaluation evaluate(long step, BatchPlan validation, Metric metric, TrainState state) {
        double vl = validation == null ? Double.NaN : evaluateLoss(validation);
        double m = Double.NaN;
        if (metric != null) m = metric.evaluate(adapter == null ? weights : adapter.mergeInto(weights), step);
        boolean better;
        if (state.bestStep == 0) better = true;
        else if (metric != null) better = m > state.bestMetric;
        else better = vl < state.bestLoss;
        if (better) {
            state.bestStep = step;
            state.bestLoss = vl;
            state.bestMetric = m;
            state.sinceBest = 0;
        } else {
            state.sinceBest++;
        }
        Evaluation e = new Evaluation(step, vl, m, better);
        state.evaluations.add(e);
        return e;
    }

    @Override
    public void close() { workers.close(); }
}
