package dev.selftaught.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code selftaught bench}: the project's benchmarks, one subcommand each (results go to docs/benchmarks.md). */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark (see the subcommands; results are recorded in docs/benchmarks.md).",
        subcommands = {CommandLine.HelpCommand.class, BenchClientCommand.class, BenchDecodeCommand.class, BenchMakeRandomModelCommand.class, BenchServeCommand.class, BenchTrainCommand.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
