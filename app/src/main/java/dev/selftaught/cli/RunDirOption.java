package dev.selftaught.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --run-dir} of the commands that work inside a run directory ({@code @Mixin RunDirOption runDir;}). */
public final class RunDirOption {
    @Option(names = "--run-dir", required = true, paramLabel = "DIR",
            description = "Run directory: the folder a run's stages write into and whose calls.sqlite stores every model call "
                    + "(layout: docs/pipeline.md); commands that write it create it if missing and lock it while they run.")
    Path dir;

    Path dir() { return dir; }
}
