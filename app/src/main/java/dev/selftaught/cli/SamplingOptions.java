package dev.selftaught.cli;

import picocli.CommandLine.Option;

/**
 * {@code --temperature}, {@code --top-p} and {@code --max-tokens}: how a command samples its model.
 * Each command gives its own defaults (the method's values differ by stage), e.g.
 * {@code @Mixin SamplingOptions sampling = new SamplingOptions(0.7, 0.9, 4096);}; help shows them.
 */
public final class SamplingOptions {
    @Option(names = "--temperature", paramLabel = "T",
            description = "Sampling temperature (0 = greedy). Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--top-p", paramLabel = "P",
            description = "Nucleus sampling mass in (0, 1] (1 = off). Default: ${DEFAULT-VALUE}.")
    double topP;

    @Option(names = "--max-tokens", paramLabel = "M",
            description = "Most new tokens per model answer. Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    /** For picocli only; commands construct it with their defaults. */
    public SamplingOptions() {}

    public SamplingOptions(double temperature, double topP, int maxTokens) {
        this.temperature = temperature;
        this.topP = topP;
        this.maxTokens = maxTokens;
    }

    double temperature() { return temperature; }
    double topP() { return topP; }
    int maxTokens() { return maxTokens; }
}
