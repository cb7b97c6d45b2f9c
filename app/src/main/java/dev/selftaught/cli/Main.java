package dev.selftaught.cli;

import dev.selftaught.data.InputError;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code selftaught} command. Each subcommand is a small class in this package
 * that parses its options and calls the library. Exit codes: 0 ok, 1 failure, 2 bad usage or input.
 */
@Command(name = "selftaught",
        mixinStandardHelpOptions = true,
        version = "selftaught 0.1.0",
        description = "Train an LLM-as-a-Judge without human labels (the Self-Taught Evaluator method).",
        subcommands = {
                CommandLine.HelpCommand.class,
                SelectCommand.class,
                PairsCommand.class,
                AnnotateCommand.class,
                RoundTrainCommand.class,
                GrpoCommand.class,
                RunCommand.class,
                GenerateCommand.class,
                BenchCommand.class,
                ServeCommand.class,
                ConvertCommand.class,
                EvalCommand.class,
                JudgeCommand.class,
                DemoCommand.class,
                MicroworldCommand.class,
                TrainCommand.class,
                ReportCommand.class,
        })
public final class Main implements Runnable {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Builds the command line with the project's exit-code and error conventions. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(Main::exitCodeFor);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("selftaught: " + dev.selftaught.data.UrlUserInfo.redact(ex.getMessage()));
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for the options.");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println("selftaught: " + dev.selftaught.data.UrlUserInfo.redact(oneLine(ex)));
            if (System.getenv("SELFTAUGHT_DEBUG") != null) ex.printStackTrace(c.getErr());
            return exitCodeFor(ex);
        });
        return cl;
    }

    static int exitCodeFor(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof InputError || t instanceof CommandLine.ParameterException) return EXIT_USAGE;
        }
        return EXIT_FAILURE;
    }

    private static String oneLine(Throwable ex) {
        String msg = ex.getMessage();
        if (ex instanceof InputError) return msg;
        return msg == null ? ex.toString() : msg;
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.out.flush();
        System.exit(code);
    }
}
