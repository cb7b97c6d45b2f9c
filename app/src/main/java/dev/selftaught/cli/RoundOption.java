package dev.selftaught.cli;

import picocli.CommandLine.Option;

/** {@code --round}: which round of a run a stage command works on (its files are under RUN/round-I). */
public final class RoundOption {
    @Option(names = "--round", defaultValue = "1", paramLabel = "I",
            description = "Round of the run to work on: the command reads and writes RUN/round-I (annotate writes its sft.jsonl, train-round trains on it). Default: ${DEFAULT-VALUE}.")
    int round;

    int value() { return round; }
}
