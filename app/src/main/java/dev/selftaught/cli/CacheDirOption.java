package dev.selftaught.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --cache-dir}: where the micro-world's pre-trained seed checkpoints are cached. */
public final class CacheDirOption {
    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where the pre-trained seed checkpoints are cached. Default: $SELFTAUGHT_CACHE, else $XDG_CACHE_HOME/selftaught, else ~/.cache/selftaught.")
    Path dir;

    /** Null when not given: {@link MicroworldCommand#cache} applies the default. */
    Path dir() { return dir; }
}
