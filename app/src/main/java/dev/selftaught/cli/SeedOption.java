package dev.selftaught.cli;

import picocli.CommandLine.Option;

/**
 * {@code --seed}: the seed of every random choice a command makes (sampling, orders, samples of
 * items, initialisation); the same inputs and seed give the same outputs. Each command gives its
 * default, e.g. {@code @Mixin SeedOption seed = new SeedOption(1);}.
 */
public final class SeedOption {
    @Option(names = "--seed", paramLabel = "S",
            description = "Seed of every random choice this command makes; the same inputs and seed give the same outputs. Default: ${DEFAULT-VALUE}.")
    long seed;

    /** For picocli only. */
    public SeedOption() {}

    public SeedOption(long seed) { this.seed = seed; }

    long value() { return seed; }
}
