package dev.selftaught.engine.format.hf;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The largest safetensors shard an HF checkpoint is written in, spelt as transformers'
 * {@code save_pretrained(max_shard_size=...)} spells it: digits and a unit, decimal
 * ({@code KB}, {@code MB}, {@code GB}: powers of 1000) or binary ({@code KiB}, {@code MiB},
 * {@code GiB}: powers of 1024), or a plain number of bytes.
 */
public final class ShardSize {
    private ShardSize() {}

    /** transformers' default in v4 {@code save_pretrained}: above it, a checkpoint is sharded. */
    public static final String DEFAULT = "5GB";

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]i?b|b)?");

    /** Bytes for a size such as {@code 5GB}, {@code 500MiB} or {@code 1048576}; refuses anything else by name. */
    public static long parse(String text) {
        if (text == null) throw new IllegalArgumentException("max_shard_size is missing");
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("max_shard_size '" + text + "' is not a size: use digits and a unit such as 5GB, 500MB, 2GiB, or a number of bytes");
        }
        String unit = m.group(2) == null ? "b" : m.group(2);
        double scale = switch (unit) {
            case "b" -> 1;
            case "kb" -> 1e3;
            case "mb" -> 1e6;
            case "gb" -> 1e9;
            case "tb" -> 1e12;
            case "kib" -> 1L << 10;
            case "mib" -> 1L << 20;
            case "gib" -> 1L << 30;
            case "tib" -> 1L << 40;
            default -> throw new IllegalArgumentException("max_shard_size '" + text + "': unknown unit " + unit);
        };
        double bytes = Double.parseDouble(m.group(1)) * scale;
        if (!(bytes >= 1) || bytes > 1e15) {
            throw new IllegalArgumentException("max_shard_size '" + text + "' must be between 1 byte and 1000TB");
        }
        return (long) bytes;
    }
}
