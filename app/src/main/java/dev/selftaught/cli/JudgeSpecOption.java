package dev.selftaught.cli;

import picocli.CommandLine.Option;

/** {@code --judge}: the judge model of eval, judge and annotate. */
public final class JudgeSpecOption {
    @Option(names = "--judge", required = true, paramLabel = "SPEC",
            description = "The judge model: http(s)://HOST:PORT/v1[#NAME] (several comma-separated) or SCHEME:LOCATION (e.g. embedded:PATH).")
    String spec;

    String spec() { return spec; }
}
