package dev.selftaught.cli;

import dev.selftaught.engine.train.TrainBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code selftaught bench train}: training tokens/s of the embedded trainer on random data
 * (bench/train.sh runs it next to PyTorch on the same shapes).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Measure training throughput (tokens/s, peak memory) of the embedded trainer on a random model and random tokens; prints one JSON line.")
public final class BenchTrainCommand implements Callable<Integer> {
    @Option(names = "--mode", defaultValue = "full", description = "full or lora (default: ${DEFAULT-VALUE}).")
    String mode;
    @Option(names = "--method", defaultValue = "lm", paramLabel = "lm|sft|dpo",
            description = "lm: every token a target; sft: judge-shaped rows (prompt 3/8 of --seq-len, answer 1/8, loss on the answer); "
                    + "dpo: the same prompts and answers as DPO+NLL pairs, the reference pass timed apart (default: ${DEFAULT-VALUE}).")
    String method;
    @Option(names = "--dim", defaultValue = "288", description = "Model width (default: ${DEFAULT-VALUE}).")
    int dim;
    @Option(names = {"--hidden-dim", "--hidden"}, defaultValue = "768", description = "SwiGLU inner width; --hidden is an alias (default: ${DEFAULT-VALUE}).")
    int hidden;
    @Option(names = "--layers", defaultValue = "6", description = "Layers (default: ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--heads", defaultValue = "6", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;
    @Option(names = "--kv-heads", defaultValue = "6", description = "Key/value heads (default: ${DEFAULT-VALUE}).")
    int kvHeads;
    @Option(names = "--vocab", defaultValue = "32000", description = "Vocabulary size (default: ${DEFAULT-VALUE}).")
    int vocab;
    @Option(names = {"--seq-len", "--seq"}, defaultValue = "256", description = "Tokens per row; --seq is an alias (default: ${DEFAULT-VALUE}).")
    int seq;
    @Option(names = "--batch", defaultValue = "8", description = "Rows per step (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--steps", defaultValue = "5", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--warmup", defaultValue = "2", description = "Untimed warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup;
    @picocli.CommandLine.Mixin ThreadsOption threads = new ThreadsOption(2);
    @Option(names = "--lora-rank", defaultValue = "8", description = "LoRA rank in lora mode (default: ${DEFAULT-VALUE}).")
    int loraRank;
    @Option(names = "--untied", description = "Use a separate output head instead of tying it to the embedding.")
    boolean untied;

    @Override
    public Integer call() {
        List<String> a = new ArrayList<>(List.of("mode=" + mode, "dim=" + dim, "hidden=" + hidden, "layers=" + layers,
                "heads=" + heads, "kv_heads=" + kvHeads, "vocab=" + vocab, "seq=" + seq, "batch=" + batch, "steps=" + steps,
                "warmup=" + warmup, "threads=" + threads.value(), "method=" + method, "lora_rank=" + loraRank, "tied=" + (untied ? 0 : 1)));
        TrainBenchmark.main(a.toArray(String[]::new));
        return Main.EXIT_OK;
    }
}
