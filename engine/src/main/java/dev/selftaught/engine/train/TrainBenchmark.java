package dev.selftaught.engine.train;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Training throughput on random weights and random tokens: a few warm-up steps, then timed steps
 * of {@code batch × seq} tokens. Prints one JSON line (tokens/s, seconds per step, peak RSS).
 * Run through {@code bench/train.sh}, which also runs PyTorch on the same shapes.
 *
 * <p>Arguments (all optional, {@code key=value}): dim, hidden, layers, heads, kv_heads, vocab,
 * seq, batch, steps, warmup, threads, mode (full|lora), lora_rank, tied (1|0), method:
 * <ul>
 *   <li>{@code lm} (default): language modelling, every token a target;</li>
 *   <li>{@code sft}: judge-shaped rows, a prompt of 3/8 of {@code seq} and an answer of 1/8, loss on the
 *       answer only; two answers per prompt, as separate examples (the same tokens DPO sees);</li>
 *   <li>{@code dpo}: the same prompts and answers as (chosen, rejected) pairs, DPO+NLL (β 0.1, α 1.5);
 *       the reference pass (forward only, once per pair) is timed separately, on its second run.</li>
 * </ul>
 * Tokens/s counts every token of every micro-batch (both sequences of a pair; padding included).
 */
public final class TrainBenchmark {
    private TrainBenchmark() {}

    public static void main(String[] args) {
        java.util.Map<String, String> a = new java.util.HashMap<>();
        for (String s : args) {
            int eq = s.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("expected key=value, got " + s);
            a.put(s.substring(0, eq), s.substring(eq + 1));
        }
        int dim = i(a, "dim", 288), hidden = i(a, "hidden", 768), layers = i(a, "layers", 6), heads = i(a, "heads", 6);
        int kvHeads = i(a, "kv_heads", heads), vocab = i(a, "vocab", 32000), seq = i(a, "seq", 256), batch = i(a, "batch", 8);
        int steps = i(a, "steps", 5), warmup = i(a, "warmup", 2), threads = i(a, "threads", 2), rank = i(a, "lora_rank", 8);
        String mode = a.getOrDefault("mode", "full");
        String method = a.getOrDefault("method", "lm");
        if (!method.equals("lm") && !method.equals("sft") && !method.equals("dpo")) {
            throw new IllegalArgumentException("method must be lm, sft or dpo, got " + method);
        }
        boolean tied = i(a, "tied", 1) == 1;
        LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, kvHeads, vocab, seq, 1e-5f, 10000f, null, tied, false);
        LlamaWeights w = new LlamaWeights(c).initRandom(1);
        TrainOptions o = TrainOptions.defaults().withThreads(threads).withLr(1e-4f).withWarmup(0).withCheckpointEvery(0);
        if (mode.equals("lora")) o = o.withLora(LoraConfig.of(rank));
        int[] stream = new int[batch * seq * (steps + warmup) + 1];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < stream.length; i++) stream[i] = r.nextInt(vocab);
        if (!method.equals("lm")) {
            judgeShaped(method, c, w, o, mode, seq, batch, steps, warmup, threads);
            return;
        }
        try (Trainer t = new Trainer(w, o)) {
            PretrainPlan warm = new PretrainPlan(stream, batch, seq, 1, 1);
            BatchPlan warmPlan = slice(warm, 0, warmup);
            BatchPlan timed = slice(warm, warmup, steps);
            t.train(warmPlan, null, null, null, null);
            long t0 = System.nanoTime();
            Trainer.Result res = t.train(timed, null, null, null, null);
            double secs = (System.nanoTime() - t0) / 1e9;
            double tps = (double) steps * batch * seq / secs;
            System.out.printf(Locale.ROOT,
                    "{\"engine\":\"selftaught-java\",\"mode\":\"%s\",\"params\":%d,\"threads\":%d,\"batch\":%d,\"seq\":%d,\"steps\":%d,"
                            + "\"seconds_per_step\":%.3f,\"tokens_per_second\":%.1f,\"final_loss\":%.4f,\"peak_rss_mb\":%.0f}%n",
                    mode, c.parameterCount(), threads, batch, seq, steps, secs / steps, tps, res.finalLoss(), peakRssMb());
        }
    }

    /** SFT or DPO on random judge-shaped pairs: the same tokens per micro-batch either way. */
    private static void judgeShaped(String method, LlamaConfig c, LlamaWeights w, TrainOptions o, String mode, int seq, int batch,
                                    int steps, int warmup, int threads) {
        int prompt = Math.max(2, seq * 3 / 8), answer = Math.max(1, seq / 8);
        SplittableRandom r = new SplittableRandom(7);
        java.util.List<DpoPlan.Pair> pairs = new java.util.ArrayList<>();
        for (int i = 0; i < batch * (steps + warmup); i++) {
            pairs.add(new DpoPlan.Pair(random(r, prompt, c.vocabSize()), random(r, answer, c.vocabSize()), random(r, answer, c.vocabSize())));
        }
        int budget = batch * seq;
        try (Trainer t = new Trainer(w, o)) {
            Objective all;
            double refSecs = Double.NaN;
            long refTokens = 0;
            if (method.equals("dpo")) {
                DpoPlan plan = new DpoPlan(pairs, seq, budget, 1, 1, SftPlan.Truncation.DROP);
                DpoReference.compute(t.model(), plan, null, "bench", null); // untimed: warms the forward pass up
                long r0 = System.nanoTime();
                double[] ref = DpoReference.compute(t.model(), plan, null, "bench", null);
                refSecs = (System.nanoTime() - r0) / 1e9;
                for (int i = 0; i < plan.size(); i++) refTokens += (long) plan.get(i).tokens().batch() * plan.get(i).tokens().seqLen();
                all = new DpoObjective(plan, ref, DpoObjective.BETA, DpoObjective.NLL_SCALE);
            } else {
                java.util.List<SftPlan.Example> ex = new java.util.ArrayList<>();
                for (DpoPlan.Pair p : pairs) {
                    ex.add(new SftPlan.Example(p.prompt(), p.chosen()));
                    ex.add(new SftPlan.Example(p.prompt(), p.rejected()));
                }
                all = Objective.tokens(new SftPlan(ex, seq, budget, 1, 1, SftPlan.Truncation.DROP));
            }
            int warmN = Math.min(warmup, all.size()), timedN = Math.min(steps, all.size() - warmN);
            t.train(slice(all, 0, warmN), null, null, null, null);
            Objective timed = slice(all, warmN, timedN);
            long tokens = 0;
            for (int i = 0; i < timedN; i++) tokens += (long) timed.batch(i).batch() * timed.batch(i).seqLen();
            long t0 = System.nanoTime();
            Trainer.Result res = t.train(timed, null, null, null, null);
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT,
                    "{\"engine\":\"selftaught-java\",\"method\":\"%s\",\"mode\":\"%s\",\"params\":%d,\"threads\":%d,\"tokens_per_step\":%d,"
                            + "\"steps\":%d,\"seconds_per_step\":%.3f,\"tokens_per_second\":%.1f,\"pairs_per_second\":%.2f,"
                            + "\"reference_tokens_per_second\":%.1f,\"final_loss\":%.4f,\"peak_rss_mb\":%.0f}%n",
                    method, mode, c.parameterCount(), threads, tokens / Math.max(1, timedN), timedN, secs / timedN, tokens / secs,
                    (double) batch * timedN / secs, refTokens / refSecs, res.finalLoss(), peakRssMb());
        }
    }

    private static int[] random(SplittableRandom r, int n, int vocab) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = r.nextInt(vocab);
        return a;
    }

    private static Objective slice(Objective o, int from, int n) {
        return new Objective() {
            @Override public int size() { return n; }
            @Override public TokenBatch batch(int i) { return o.batch(from + i); }
            @Override public double weight(int i) { return o.weight(from + i); }
            @Override public double forwardBackward(TrainingModel m, int i, double norm, long seed) {
                return o.forwardBackward(m, from + i, norm, seed);
            }
        };
    }

    private static BatchPlan slice(BatchPlan p, int from, int n) {
        return new BatchPlan() {
            public int size() { return n; }
            public TokenBatch get(int i) { return p.get(from + i); }
        };
    }

    private static int i(java.util.Map<String, String> a, String k, int def) {
        return a.containsKey(k) ? Integer.parseInt(a.get(k)) : def;
    }

    /** Peak resident set size of this process (Linux VmHWM), or NaN elsewhere. */
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
