package dev.selftaught.data;

import java.nio.file.Path;
import java.util.Locale;

/**
 * A dataset file's format, told by its name: {@code .jsonl}, {@code .json}, {@code .csv} or
 * {@code .parquet}, each optionally followed by {@code .gz}.
 */
public record DataFormat(Kind kind, boolean gzip) {

    public enum Kind { JSONL, JSON, CSV, PARQUET }

    public static final String SUPPORTED = ".jsonl, .json, .csv, .parquet (each optionally + .gz)";

    /** The format of {@code file}, or an InputError naming the supported extensions. */
    public static DataFormat of(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean gz = name.endsWith(".gz");
        if (gz) name = name.substring(0, name.length() - 3);
        Kind kind;
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) kind = Kind.JSONL;
        else if (name.endsWith(".json")) kind = Kind.JSON;
        else if (name.endsWith(".csv")) kind = Kind.CSV;
        else if (name.endsWith(".parquet")) kind = Kind.PARQUET;
        else throw InputError.at(file, 0, null, "unknown dataset format; use one of " + SUPPORTED);
        return new DataFormat(kind, gz);
    }
}
