package dev.selftaught.engine.bench;

import dev.selftaught.engine.generate.BatchDecoder;
import dev.selftaught.engine.generate.GenerationRequest;
import dev.selftaught.engine.generate.SamplingConfig;
import dev.selftaught.engine.generate.Sequence;
import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.model.ModelWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Decode throughput: {@code streams} sequences, each started from BOS and decoded greedily for
 * exactly {@code tokens} new tokens (no stop id, so every run does the same work), all in one
 * batch. A warm-up run of the same shape lets the JIT compile the kernels first.
 */
public final class DecodeBenchmark {
    private DecodeBenchmark() {}

    /**
     * @param tokens         new tokens per stream
     * @param bos            first token of every stream
     * @param warmupSeconds  untimed runs of the same shape until this much time has passed (at least one)
     * @param runs           timed runs; the best is returned (others' load on the machine only slows runs down)
     * @param progress       receives a line per run (may be null)
     */
    public static Result run(ModelWeights w, int bos, int tokens, int streams, int threads, double warmupSeconds, int runs,
                             Consumer<String> progress) {
        if (tokens < 1 || tokens + 1 > w.config.maxSeqLen()) {
            throw new IllegalArgumentException("tokens must be in [1, " + (w.config.maxSeqLen() - 1) + "] for this model, got " + tokens);
        }
        if (streams < 1) throw new IllegalArgumentException("streams must be >= 1, got " + streams);
        try (ThreadTeam team = new ThreadTeam(threads)) {
            Transformer t = new Transformer(w, streams, streams, team);
            long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            int warm = 0;
            do {
                Result r = once(t, bos, tokens, streams);
                warm++;
                if (progress != null) progress.accept("warm-up " + warm + ": " + r);
            } while (System.nanoTime() < warmEnd);
            Result best = null;
            for (int run = 1; run <= Math.max(1, runs); run++) {
                Result r = once(t, bos, tokens, streams);
                if (progress != null) progress.accept("run " + run + ": " + r);
                if (best == null || r.tokensPerSecond() > best.tokensPerSecond()) best = r;
            }
            return best;
        }
    }

    /**
     * Prefill throughput: one forward pass over a prompt of {@code promptTokens} rows (token ids
     * spread over the vocabulary, deterministic), as the generator's batched prefill does; the
     * best of {@code runs} after one warm-up pass.
     *
     * @return tokens per second of the best run
     */
    public static double prefill(ModelWeights w, int promptTokens, int threads, int runs, Consumer<String> progress) {
        if (promptTokens < 1 || promptTokens > w.config.maxSeqLen()) {
            throw new IllegalArgumentException("prompt must be in [1, " + w.config.maxSeqLen() + "] tokens, got " + promptTokens);
        }
        int[] tokens = new int[promptTokens], slots = new int[promptTokens], pos = new int[promptTokens];
        for (int i = 0; i < promptTokens; i++) {
            tokens[i] = (int) ((i * 7919L + 13) % w.config.vocabSize());
            pos[i] = i;
        }
        double best = 0;
        try (ThreadTeam team = new ThreadTeam(threads)) {
            Transformer t = new Transformer(w, promptTokens, 1, team);
            int slot = t.cache().allocate(promptTokens);
            java.util.Arrays.fill(slots, slot);
            for (int run = 0; run <= Math.max(1, runs); run++) {
                long t0 = System.nanoTime();
                t.forward(promptTokens, slots, tokens, pos, new int[] {promptTokens - 1}, 1);
                double tps = promptTokens / ((System.nanoTime() - t0) / 1e9);
                if (progress != null) progress.accept((run == 0 ? "prefill warm-up: " : "prefill run " + run + ": ")
                        + String.format(java.util.Locale.ROOT, "%d tokens at %.1f tokens/s", promptTokens, tps));
                if (run > 0) best = Math.max(best, tps);
            }
        }
        return best;
    }

    /** Resident and peak resident memory of this process in bytes ({@code VmRSS}, {@code VmHWM}), or -1 where unknown. */
    public static long[] residentMemory() {
        long rss = -1, hwm = -1;
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) rss = kib(line);
                if (line.startsWith("VmHWM:")) hwm = kib(line);
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux: unknown
        }
        return new long[] {rss, hwm};
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }

    private static Result once(Transformer t, int bos, int tokens, int streams) {
        BatchDecoder d = new BatchDecoder(t, null, streams);
        List<Sequence> seqs = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            seqs.add(d.add(new GenerationRequest(new int[] {bos}, SamplingConfig.GREEDY, tokens, s, new int[0], List.of(), null)));
        }
        long c0 = processCpuNanos();
        long t0 = System.nanoTime();
        d.runToCompletion();
        long ns = System.nanoTime() - t0;
        long cpu = processCpuNanos() - c0;
        long total = 0;
        for (Sequence s : seqs) total += s.result().tokens().length;
        return new Result(total, ns, cpu, seqs.get(0).result().tokens());
    }

    /** @param firstStream the tokens of stream 0 (to compare with a reference implementation) */
    /** CPU time of the whole process (all threads), or -1 where the platform does not say. */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /**
     * @param nanos    wall-clock time
     * @param cpuNanos CPU time the process used meanwhile (shows how much of the machine it got)
     */
    public record Result(long tokens, long nanos, long cpuNanos, int[] firstStream) {
        public double tokensPerSecond() { return tokens / (nanos / 1e9); }

        /** Share of one core the process had on average (2.0 = two full cores). */
        public double coresUsed() { return cpuNanos < 0 ? Double.NaN : cpuNanos / (double) nanos; }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%d tokens in %.3f s = %.1f tokens/s (process used %.2f cores)",
                    tokens, nanos / 1e9, tokensPerSecond(), coresUsed());
        }
    }
}
