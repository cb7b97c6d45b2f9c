package dev.selftaught.cli;

import dev.selftaught.data.InputError;
import picocli.CommandLine.Option;

/** {@code --threads}: compute threads of the embedded engine (inference and training). */
public final class ThreadsOption {
    @Option(names = "--threads", paramLabel = "T",
            description = "Compute threads for embedded models and training (0 = all cores). Default: ${DEFAULT-VALUE}.")
    int threads;

    /** For picocli only: 0 = all cores. */
    public ThreadsOption() {}

    public ThreadsOption(int threads) { this.threads = threads; }

    /** The thread count; a negative one is an {@link InputError} naming the option. */
    int value() {
        if (threads < 0) throw new InputError("--threads must be >= 0, got " + threads);
        return threads;
    }
}
