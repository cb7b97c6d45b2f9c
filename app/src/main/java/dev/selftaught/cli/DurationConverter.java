package dev.selftaught.cli;

import picocli.CommandLine;

import java.time.Duration;
import java.util.Locale;

/** Parses durations like {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}, a bare number of seconds, or ISO-8601 ({@code PT30S}). */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("pt") || v.startsWith("p")) return Duration.parse(value.strip().toUpperCase(Locale.ROOT));
            if (v.endsWith("ms")) return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).strip()));
            double num;
            long unitMillis;
            if (v.endsWith("s")) { num = Double.parseDouble(v.substring(0, v.length() - 1)); unitMillis = 1000; }
            else if (v.endsWith("m")) { num = Double.parseDouble(v.substring(0, v.length() - 1)); unitMillis = 60_000; }
            else if (v.endsWith("h")) { num = Double.parseDouble(v.substring(0, v.length() - 1)); unitMillis = 3_600_000; }
            else { num = Double.parseDouble(v); unitMillis = 1000; }
            if (num < 0 || Double.isNaN(num)) throw new NumberFormatException();
            return Duration.ofMillis(Math.round(num * unitMillis));
        } catch (RuntimeException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (examples: 500ms, 30s, 10m, 1h)");
        }
    }
}
