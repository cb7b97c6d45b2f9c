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
 * seq, batch, steps, warmup, threads, mode (full|lora), lora_rank, tied (1|0).
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
        boolean tied = i(a, "tied", 1) == 1;
        LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, kvHeads, vocab, seq, 1e-5f, 10000f, null, tied, false);
        LlamaWeights w = new LlamaWeights(c).initRandom(1);
        TrainOptions o = TrainOptions.defaults().withThreads(threads).withLr(1e-4f).withWarmup(0).withCheckpointEvery(0);
        if (mode.equals("lora")) o = o.withLora(LoraConfig.of(rank));
        int[] stream = new int[batch * seq * (steps + warmup) + 1];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < stream.length; i++) stream[i] = r.nextInt(vocab);
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
