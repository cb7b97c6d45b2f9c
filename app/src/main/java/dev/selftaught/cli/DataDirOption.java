package dev.selftaught.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --data-dir}: the shared data folder that benchmark names ({@code llmbar}, {@code hep}, ...) are read from. */
public final class DataDirOption {
    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "The shared data folder that benchmark names are read from. Default: $SELFTAUGHT_DATA, else ../shared/data.")
    Path dir;

    /** Null when not given: the callers apply the default. */
    Path dir() { return dir; }
}
