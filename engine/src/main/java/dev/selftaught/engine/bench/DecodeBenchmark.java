package dev.selftaught.engine.bench;

import dev.selftaught.engine.generate.BatchDecoder;
import dev.selftaught.engine.generate.GenerationRequest;
import dev.selftaught.engine.generate.SamplingConfig;
import dev.selftaught.engine.generate.Sequence;
import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.model.LlamaWeights;
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

    /** @param tokens     new tokens per stream
     *  @param bos        first token of every stream
     *  @param progress   receives a line per finished run (may be null)
     *  @return measured result of the last run */
    public static Result run(LlamaWeights w, int bos, int tokens, int streams, int threads, int runs, Consumer<String> progress) {
        if (tokens + 1 > w.config.maxSeqLen()) throw new IllegalArgumentException("--tokens " + tokens + " exceeds the model's context of " + w.config.maxSeqLen() + " minus one");
        try (ThreadTeam team = new ThreadTeam(threads)) {
            Transformer t = new Transformer(w, Math.max(streams, 1), team);
            Result best = null;
            for (int run = 0; run <= runs; run++) {
                BatchDecoder d = new BatchDecoder(t, null, streams);
                List<Sequence> seqs = new ArrayList<>();
                for (int s = 0; s < streams; s++) {
                    seqs.add(d.add(new GenerationRequest(new int[] {bos}, SamplingConfig.GREEDY, tokens, s, new int[0], List.of(), null)));
                }
                long t0 = System.nanoTime();
                d.runToCompletion();
                long ns = System.nanoTime() - t0;
                long total = 0;
                for (Sequence s : seqs) total += s.result().tokens().length;
                Result r = new Result(total, ns, run == 0);
                if (progress != null) progress.accept((run == 0 ? "warm-up" : "run " + run) + ": " + r);
                if (run > 0 && (best == null || r.tokensPerSecond() > best.tokensPerSecond())) best = r;
                if (runs == 0) best = r;
            }
            return best;
        }
    }

    public record Result(long tokens, long nanos, boolean warmup) {
        public double tokensPerSecond() { return tokens / (nanos / 1e9); }

        @Override
        public String toString() {
            return String.format("%d tokens in %.3f s = %.1f tokens/s", tokens, nanos / 1e9, tokensPerSecond());
        }
    }

    /** Quick manual check: {@code DecodeBenchmark CHECKPOINT TOKENS STREAMS THREADS}. */
    public static void main(String[] args) {
        LlamaWeights w = dev.selftaught.engine.llama2c.Llama2cCheckpoint.read(java.nio.file.Path.of(args[0]));
        Result r = run(w, 1, Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), args.length > 4 ? Integer.parseInt(args[4]) : 3, System.err::println);
        System.out.printf("tokens/s: %.1f%n", r.tokensPerSecond());
    }
}
