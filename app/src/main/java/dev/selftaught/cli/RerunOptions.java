package dev.selftaught.cli;

import picocli.CommandLine.Option;

/**
 * What a rerun of a stage may redo: {@code --force} (recompute a stage whose recorded inputs
 * changed) and {@code --retry-failed} (call again what the call store recorded as failed).
 */
public final class RerunOptions {
    /** {@code --force} alone, for commands that make no model calls. */
    public static final class Force {
        @Option(names = "--force",
                description = "Recompute a stage whose done marker records other inputs than the current ones (without it, that is an error naming the difference).")
        boolean force;
    }

    /** {@code --retry-failed} alone, for commands that call models but have no stage marker. */
    public static final class RetryFailed {
        @Option(names = "--retry-failed",
                description = "Call the model again for calls the call store recorded as failed (without it, they stay failed and are not called again).")
        boolean retryFailed;
    }

    @picocli.CommandLine.Mixin Force force = new Force();
    @picocli.CommandLine.Mixin RetryFailed retry = new RetryFailed();

    boolean force() { return force.force; }
    boolean retryFailed() { return retry.retryFailed; }
}
