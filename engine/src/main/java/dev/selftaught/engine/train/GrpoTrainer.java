package dev.selftaught.engine.train;

import dev.selftaught.engine.generate.BatchDecoder;
import dev.selftaught.engine.generate.GenerationRequest;
import dev.selftaught.engine.generate.GenerationResult;
import dev.selftaught.engine.generate.Sequence;
import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Online reinforcement learning with group-normalised advantages (GRPO), full fine-tuning. Each
 * step: take the next {@code tasksPerStep} tasks (a task is prompts scored together, e.g. one pair
 * shown in both orders), sample {@code groupSize} completions per prompt from the current weights
 * with the engine's batched decoder, score them with the caller's {@link Reward}, turn rewards into
 * advantages {@code (r − mean_g) / (std_g + 1e-4)} within each prompt's group, and take
 * {@code updatesPerBatch} AdamW steps on the {@link GrpoLoss} over the sampled tokens (prompt
 * tokens masked), with the same {@link TrainingModel} forward/backward as supervised training.
 *
 * <p>On-policy and in-process: the decoder's transformer views the very arrays the optimizer
 * updates ({@code ModelWeights.of} makes no copy), so step k+1 samples from the weights step k
 * left, with no save or reload. The sampling-time log-probabilities ("old") are those of the first
 * update's forward pass, which runs on the weights that sampled (so its ratio is exactly 1); the
 * clipping acts from the second update of a batch on. The reference model is a frozen copy of the
 * starting weights.
 *
 * <p>Resumable: the state file (as {@link Trainer}'s: step, weights, AdamW moments, evaluation
 * history) is written atomically every {@code checkpointEvery} steps; every random choice (task
 * order, each sequence's sampling seed) is derived from the seed and the step, so a resumed run
 * samples exactly what the uninterrupted run would have and never redoes a finished step.
 */
public final class GrpoTrainer implements AutoCloseable {

    /**
     * @param groupSize       completions sampled per prompt (G)
     * @param tasksPerStep    tasks per step
     * @param epochs          passes over the tasks
     * @param updatesPerBatch optimizer steps on each batch of samples (μ; 1 = strictly on-policy)
     * @param loss            clipping ε and KL β
     * @param sampling        how completions are sampled (temperature 1, no top-p: the samples follow the trained distribution exactly)
     * @param maxNewTokens    most tokens per completion
     * @param batchTokens     most tokens (rows × padded length) per training micro-batch
     * @param decodeRows      rows of one decoder forward pass (prefill budget)
     * @param decodeSequences sequences decoded together
     * @param train           learning rate, schedule, AdamW, seed, threads, evalEvery, checkpointEvery (LoRA is refused)
     */
    public record Options(int groupSize, int tasksPerStep, int epochs, int updatesPerBatch, GrpoLoss loss,
                          dev.selftaught.engine.generate.SamplingConfig sampling, int maxNewTokens, int batchTokens,
                          int decodeRows, int decodeSequences, TrainOptions train) {
        public Options {
            if (groupSize < 2) throw new IllegalArgumentException("group size must be >= 2 (advantages compare samples of one prompt), got " + groupSize);
            if (tasksPerStep < 1) throw new IllegalArgumentException("tasks per step must be >= 1, got " + tasksPerStep);
            if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
            if (updatesPerBatch < 1) throw new IllegalArgumentException("updates per batch must be >= 1, got " + updatesPerBatch);
            if (maxNewTokens < 1) throw new IllegalArgumentException("max new tokens must be >= 1, got " + maxNewTokens);
            if (batchTokens < 1 || decodeRows < 1 || decodeSequences < 1) throw new IllegalArgumentException("batch sizes must be >= 1");
            if (train.lora() != null) throw new IllegalArgumentException("GRPO trains the full model; LoRA is not supported here");
        }

        String fingerprint() {
            return String.join(";", "grpo", Integer.toString(groupSize), Integer.toString(tasksPerStep), Integer.toString(epochs),
                    Integer.toString(updatesPerBatch), loss.toString(), sampling.toString(), Integer.toString(maxNewTokens),
                    Integer.toString(batchTokens), train.fingerprint());
        }
    }

    /** Prompts scored together, e.g. one pair shown as (A=chosen, B=rejected) and the reverse. */
    public record Task(List<int[]> prompts) {
        public Task {
            if (prompts.isEmpty()) throw new IllegalArgumentException("a task needs at least one prompt");
            prompts = List.copyOf(prompts);
        }
    }

    /** Scores one task's samples: result[prompt][sample], finite. Called on the training thread. */
    @FunctionalInterface
    public interface Reward {
        double[][] score(int task, List<List<GenerationResult>> samples);
    }

    /**
     * Progress of one step.
     *
     * @param rewardMean      mean reward of the step's samples
     * @param kl              mean k3 KL to the reference over sampled tokens (first update, sequence-averaged)
     * @param loss            GRPO objective of the last update
     * @param clippedFraction share of sampled tokens whose ratio was clipped in the last update
     * @param metric          the validation metric at this step, NaN when not evaluated
     */
    public record Step(long step, long totalSteps, double rewardMean, double kl, double loss, double clippedFraction,
                       float lr, double gradNorm, long sampledTokens, double sampleSeconds, long trainedTokens,
                       double trainSeconds, double metric, double etaSeconds) {
        public double sampleTokensPerSecond() { return sampledTokens / Math.max(sampleSeconds, 1e-9); }
        public double trainTokensPerSecond() { return trainedTokens / Math.max(trainSeconds, 1e-9); }
    }

    /** Receives progress; default methods do nothing. */
    public interface Listener {
        /** Called once before the first step; {@code resumedAt} is the step a resumed run continues from (0 = fresh). */
        default void onStart(long resumedAt, long totalSteps) {}
        default void onStep(Step s) {}
    }

    /** What a run ended with. */
    public record Result(long steps, boolean resumed, List<Trainer.Evaluation> evaluations) {}

    private final LlamaWeights weights;
    private final Options opt;
    private final Tokenizer tokenizer;
    private final int eos;
    private final Workers workers;
    private final TrainingModel model, reference;
    private final List<Params.Param> params;
    private final AdamW adam;
    private final ThreadTeam team;
    private final BatchDecoder decoder;

    /**
     * @param weights   the policy, updated in place (start: the model being trained)
     * @param tokenizer decodes completion texts for the reward, or null (texts empty)
     * @param eos       token id appended as the last target of a completion that stopped (the stop
     *                  id the decoder saw), or -1
     * @param stopIds   ids that end a completion
     */
    public GrpoTrainer(LlamaWeights weights, Tokenizer tokenizer, int eos, int[] stopIds, Options opt) {
        this.weights = weights;
        this.opt = opt;
        this.tokenizer = tokenizer;
        this.eos = eos;
        this.stopIds = stopIds == null ? new int[0] : stopIds.clone();
        this.workers = new Workers(opt.train().threads());
        this.model = new TrainingModel(weights, true, null, workers);
        this.reference = new TrainingModel(Params.copy(weights), false, null, workers);
        this.params = Params.of(weights, model.grads);
        this.adam = new AdamW(params, opt.train().beta1(), opt.train().beta2(), opt.train().eps(), opt.train().weightDecay());
        this.team = new ThreadTeam(opt.train().threads());
        this.decoder = new BatchDecoder(new Transformer(weights, opt.decodeRows(), opt.decodeSequences(), team), tokenizer, opt.decodeSequences());
    }

    private final int[] stopIds;

    /** Trainable parameters. */
    public List<Params.Param> parameters() { return params; }

    public long totalSteps(int tasks) {
        return ((long) tasks * opt.epochs() + opt.tasksPerStep() - 1) / opt.tasksPerStep();
    }

    /**
     * Greedy completions of {@code prompts} from the current weights (for a validation metric),
     * through the same batched decoder.
     */
    public List<GenerationResult> greedy(List<int[]> prompts, int maxNewTokens) {
        List<Sequence> seqs = new ArrayList<>();
        for (int[] p : prompts) seqs.add(decoder.add(GenerationRequest.greedy(p, maxNewTokens, stopIds)));
        return finish(seqs);
    }

    private List<GenerationResult> finish(List<Sequence> seqs) {
        while (decoder.step()) { /* decode until every sequence ended */ }
        List<GenerationResult> out = new ArrayList<>(seqs.size());
        for (Sequence s : seqs) {
            if (s.error() != null) throw new IllegalStateException("sampling failed: " + s.error().getMessage(), s.error());
            out.add(s.result());
        }
        return out;
    }

    /** Task order of an epoch: a seeded shuffle, the same in a resumed run. */
    private int[] order(int tasks, long epoch) {
        int[] o = new int[tasks];
        for (int i = 0; i < tasks; i++) o[i] = i;
        SplittableRandom r = new SplittableRandom(opt.train().seed() * 0x9E3779B97F4A7C15L + epoch);
        for (int i = tasks - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = o[i]; o[i] = o[j]; o[j] = t;
        }
        return o;
    }

    /**
     * Trains over the tasks.
     *
     * @param metric   validation metric on the current weights (higher is better), or null
     * @param stateDir directory of the resumable state, or null
     */
    public Result train(List<Task> tasks, Reward reward, Trainer.Metric metric, Path stateDir, Listener listener) {
        if (tasks.isEmpty()) throw new IllegalArgumentException("no tasks to train on");
        Listener ls = listener == null ? new Listener() {} : listener;
        long total = totalSteps(tasks.size());
        long updates = total * opt.updatesPerBatch();
        TrainOptions t = opt.train();
        LrSchedule schedule = new LrSchedule(t.lr(), t.warmupSteps(), updates, t.finalLrRatio());
        TrainState state = new TrainState();
        String fp = opt.fingerprint() + "|" + tasks.size();
        boolean resumed = false;
        if (stateDir != null) {
            try {
                Files.createDirectories(stateDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create training state directory " + stateDir, e);
            }
            resumed = state.load(stateDir, fp, params, adam);
        }
        ls.onStart(state.step, total);
        long start = state.step;
        long t0 = System.nanoTime();
        for (long step = state.step; step < total; step++) {
            List<Integer> stepTasks = new ArrayList<>();
            for (long g = step * opt.tasksPerStep(); g < Math.min((step + 1) * opt.tasksPerStep(), (long) tasks.size() * opt.epochs()); g++) {
                stepTasks.add(order(tasks.size(), g / tasks.size())[(int) (g % tasks.size())]);
            }
            long ts = System.nanoTime();
            List<Sample> samples = sample(tasks, stepTasks, step);
            double sampleSecs = (System.nanoTime() - ts) / 1e9;
            double rewardMean = score(tasks, stepTasks, samples, reward);
            long tt = System.nanoTime();
            Update u = update(samples, step, schedule);
            double trainSecs = (System.nanoTime() - tt) / 1e9;
            boolean last = step + 1 == total;
            double m = Double.NaN;
            if (metric != null && ((t.evalEvery() > 0 && (step + 1) % t.evalEvery() == 0) || last)) {
                m = metric.evaluate(weights, step + 1);
                state.evaluations.add(new Trainer.Evaluation(step + 1, Double.NaN, m, false));
            }
            state.step = step + 1;
            state.lastLoss = u.loss;
            if (stateDir != null && ((t.checkpointEvery() > 0 && (step + 1) % t.checkpointEvery() == 0) || last)) {
                state.save(stateDir, fp, params, adam);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double eta = (total - step - 1) * secs / (step + 1 - start);
            ls.onStep(new Step(step + 1, total, rewardMean, u.kl, u.loss, u.clipped, u.lr, u.gradNorm,
                    samples.stream().mapToLong(s -> s.completion.length).sum(), sampleSecs, u.tokens, trainSecs, m, eta));
        }
        return new Result(state.step, resumed, List.copyOf(state.evaluations));
    }

    /** One sampled completion and what training needs of it. */
    private static final class Sample {
        final int task, prompt, index;
        final int[] promptTokens;
        final GenerationResult result;
        final int[] completion; // trained tokens: the generated ones, plus the stop id when it stopped
        double reward, advantage;

        Sample(int task, int prompt, int index, int[] promptTokens, GenerationResult result, int eos) {
            this.task = task;
            this.prompt = prompt;
            this.index = index;
            this.promptTokens = promptTokens;
            this.result = result;
            int[] c = result.tokens();
            if (result.finish() == GenerationResult.Finish.STOP && eos >= 0) {
                c = Arrays.copyOf(c, c.length + 1);
                c[c.length - 1] = eos;
            }
            this.completion = c;
        }
    }

    /** G completions per prompt of every task of the step, decoded together; a group's samples share its prefill. */
    private List<Sample> sample(List<Task> tasks, List<Integer> stepTasks, long step) {
        List<Sequence> seqs = new ArrayList<>();
        List<int[]> ids = new ArrayList<>();
        for (int ti : stepTasks) {
            Task task = tasks.get(ti);
            for (int p = 0; p < task.prompts().size(); p++) {
                int[] prompt = task.prompts().get(p);
                Sequence leader = null;
                for (int g = 0; g < opt.groupSize(); g++) {
                    long seed = mix(opt.train().seed(), step, ti, p, g);
                    GenerationRequest req = new GenerationRequest(prompt, opt.sampling(), opt.maxNewTokens(), seed, stopIds, List.of(), null);
                    Sequence s = decoder.add(req, null, leader);
                    if (leader == null) leader = s;
                    seqs.add(s);
                    ids.add(new int[] {ti, p, g});
                }
            }
        }
        List<GenerationResult> results = finish(seqs);
        List<Sample> out = new ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            int[] id = ids.get(i);
            out.add(new Sample(id[0], id[1], id[2], tasks.get(id[0]).prompts().get(id[1]), results.get(i), eos));
        }
        return out;
    }

    static long mix(long seed, long step, int task, int prompt, int sample) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (long v : new long[] {step, task, prompt, sample}) {
            h ^= v + 0x632BE59BD9B4E019L + (h << 6) + (h >>> 2);
            h *= 0xBF58476D1CE4E5B9L;
        }
        return h ^ (h >>> 31);
    }

    /** Rewards per task, then advantages per prompt group; returns the mean reward. */
    private double score(List<Task> tasks, List<Integer> stepTasks, List<Sample> samples, Reward reward) {
        double sum = 0;
        int i = 0;
        for (int ti : stepTasks) {
            int np = tasks.get(ti).prompts().size(), G = opt.groupSize();
            List<List<GenerationResult>> byPrompt = new ArrayList<>();
            for (int p = 0; p < np; p++) {
                List<GenerationResult> g = new ArrayList<>();
                for (int k = 0; k < G; k++) g.add(samples.get(i + p * G + k).result);
                byPrompt.add(g);
            }
            double[][] r = reward.score(ti, byPrompt);
            if (r.length != np) throw new IllegalStateException("reward gave " + r.length + " rows for " + np + " prompts");
            for (int p = 0; p < np; p++) {
                if (r[p].length != G) throw new IllegalStateException("reward gave " + r[p].length + " scores for " + G + " samples");
                double mean = 0, var = 0;
                for (double x : r[p]) {
                    if (!Double.isFinite(x)) throw new IllegalStateException("reward is not finite: " + x);
                    mean += x / G;
                }
                for (double x : r[p]) var += (x - mean) * (x - mean) / (G - 1);
                double std = Math.sqrt(var);
                for (int k = 0; k < G; k++) {
                    Sample s = samples.get(i + p * G + k);
                    s.reward = r[p][k];
                    s.advantage = (r[p][k] - mean) / (std + 1e-4);
                    sum += r[p][k];
                }
            }
            i += np * G;
        }
        return sum / samples.size();
    }

    /** One micro-batch of padded rows and, per position, what the objective needs. */
    private record Micro(TokenBatch batch, double[] adv, double[] weight, double[] ref, double[][] old, long tokens) {}

    private record Update(double loss, double kl, double clipped, float lr, double gradNorm, long tokens) {}

    private Update update(List<Sample> samples, long step, LrSchedule schedule) {
        List<Micro> micro = pack(samples);
        GrpoLoss loss = opt.loss();
        long tokens = 0;
        for (Micro m : micro) tokens += m.tokens;
        double lastLoss = 0, kl = 0, clipped = 0, norm = 0;
        float lr = 0;
        for (int it = 0; it < opt.updatesPerBatch(); it++) {
            Params.zeroGrads(params);
            double lossSum = 0, klSum = 0;
            long clippedCount = 0, targetCount = 0;
            for (int mi = 0; mi < micro.size(); mi++) {
                Micro m = micro.get(mi);
                double[] old = m.old[0];
                boolean first = old == null;
                TokenObjective obj = (n, lp) -> loss.gradient(lp, first ? lp : old[n], m.ref[n], m.adv[n], m.weight[n]);
                long dropSeed = opt.train().seed() * 1_000_003L + (step * opt.updatesPerBatch() + it) * 4099L + mi;
                double[] lp = model.forwardBackward(m.batch, obj, dropSeed);
                if (first) m.old[0] = lp;
                double[] o = m.old[0];
                for (int n = 0; n < lp.length; n++) {
                    if (Double.isNaN(lp[n])) continue;
                    lossSum += loss.value(lp[n], o[n], m.ref[n], m.adv[n], m.weight[n]);
                    klSum += m.weight[n] * GrpoLoss.kl(lp[n], m.ref[n]);
                    if (loss.clipped(lp[n], o[n], m.adv[n])) clippedCount++;
                    targetCount++;
                }
            }
            long t = step * opt.updatesPerBatch() + it;
            lr = schedule.at(t);
            norm = adam.step(lr, t + 1, opt.train().gradClip(), workers);
            lastLoss = lossSum;
            if (it == 0) kl = klSum;
            clipped = targetCount == 0 ? 0 : (double) clippedCount / targetCount;
        }
        return new Update(lastLoss, kl, clipped, lr, norm, tokens * opt.updatesPerBatch());
    }

    /**
     * Rows of prompt + completion, padded to the micro-batch's longest, as many as fit in
     * batchTokens; targets only on completion tokens. Each sample weighs 1 / (samples × its tokens).
     */
    private List<Micro> pack(List<Sample> samples) {
        int maxSeq = weights.config.maxSeqLen();
        List<Micro> out = new ArrayList<>();
        int S = samples.size();
        int i = 0;
        while (i < S) {
            int j = i, T = 0;
            while (j < S) {
                int len = Math.min(maxSeq, samples.get(j).promptTokens.length + samples.get(j).completion.length - 1);
                int nt = Math.max(T, len);
                if (j > i && (long) nt * (j - i + 1) > opt.batchTokens()) break;
                T = nt;
                j++;
            }
            int B = j - i, N = B * T;
            int[] tok = new int[N], tgt = new int[N], pos = new int[N], seg = new int[N];
            double[] adv = new double[N], w = new double[N];
            Arrays.fill(tgt, TokenBatch.IGNORE);
            long count = 0;
            for (int b = 0; b < B; b++) {
                Sample s = samples.get(i + b);
                int[] full = new int[s.promptTokens.length + s.completion.length];
                System.arraycopy(s.promptTokens, 0, full, 0, s.promptTokens.length);
                System.arraycopy(s.completion, 0, full, s.promptTokens.length, s.completion.length);
                int len = Math.min(T, full.length - 1);
                int targets = Math.max(0, len - (s.promptTokens.length - 1));
                for (int x = 0; x < T; x++) {
                    int n = b * T + x;
                    seg[n] = x < len ? b : B + b; // padding in its own segment
                    pos[n] = x < len ? x : 0;
                    tok[n] = x < len ? full[x] : 0;
                    if (x < len && x + 1 >= s.promptTokens.length) {
                        tgt[n] = full[x + 1];
                        adv[n] = s.advantage;
                        w[n] = 1.0 / ((double) S * targets);
                    }
                }
                count += len;
            }
            TokenBatch tb = new TokenBatch(B, T, tok, tgt, pos, seg);
            out.add(new Micro(tb, adv, w, reference.targetLogProbs(tb), new double[1][], count));
            i = j;
        }
        return out;
    }

    @Override
    public void close() {
        workers.close();
        team.close();
    }
}
