package dev.selftaught.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Entry point for reading and writing datasets. The format comes from the file name (see
 * {@link DataFormat}): read JSONL, JSON arrays, CSV and Parquet, each optionally gzipped; write
 * JSONL (optionally gzipped) and Parquet. Reading streams; writing is all-or-nothing.
 */
public final class Datasets {
    private Datasets() {}

    /** Opens {@code file} for streaming. An empty file is an InputError (see {@link #read(Path, boolean)}). */
    public static RecordReader read(Path file) {
        return read(file, false);
    }

    /**
     * Opens {@code file} for streaming.
     *
     * @param allowEmpty when false, a file without records is an InputError when the reader
     *                   reaches its end; when true it simply yields nothing
     */
    public static RecordReader read(Path file, boolean allowEmpty) {
        DataFormat fmt = DataFormat.of(file);
        if (Files.isDirectory(file)) throw InputError.at(file, 0, null, "is a directory; expected a dataset file (" + DataFormat.SUPPORTED + ")");
        if (!Files.isReadable(file)) throw InputError.at(file, 0, null, Files.exists(file) ? "cannot be read (permissions?)" : "no such file");
        return switch (fmt.kind()) {
            case JSONL -> new JsonlReader(file, open(file, fmt.gzip()), allowEmpty);
            case JSON -> json(file, fmt.gzip(), allowEmpty);
            // Our own strict RFC 4180 reader: no dialect is guessed, a malformed row is a file:line error.
            case CSV -> new CsvReader(file, new StrictUtf8Reader(file, open(file, fmt.gzip())), allowEmpty);
            case PARQUET -> parquet(file, fmt.gzip(), allowEmpty);
        };
    }

    /** Reads every record into memory: for small files (benchmarks, configs), not for big ones. */
    public static List<DataRecord> readAll(Path file) {
        try (RecordReader r = read(file)) {
            List<DataRecord> out = new ArrayList<>();
            r.forEachRemaining(out::add);
            return out;
        }
    }

    /** A writer for {@code file}: JSONL ({@code .jsonl}, {@code .jsonl.gz}) or Parquet ({@code .parquet}). */
    public static RecordWriter writer(Path file) {
        DataFormat fmt = DataFormat.of(file);
        return switch (fmt.kind()) {
            case JSONL -> new JsonlWriter(file, fmt.gzip());
            case PARQUET -> {
                if (fmt.gzip()) throw InputError.at(file, 0, null, "cannot write gzipped Parquet (Parquet compresses itself); use .parquet");
                yield new ParquetWriter(file);
            }
            default -> throw InputError.at(file, 0, null, "can only write .jsonl, .jsonl.gz or .parquet");
        };
    }

    /**
     * A .json file holding a top-level array is read as an array; anything else (first byte '{')
     * as JSON Lines, which is how many published ".json" datasets are actually written.
     */
    private static RecordReader json(Path file, boolean gz, boolean allowEmpty) {
        InputStream in = open(file, gz);
        try {
            BufferedInputStream b = new BufferedInputStream(in, 1 << 16);
            b.mark(1 << 15);
            int first = -1;
            for (int i = 0; i < (1 << 15) - 1; i++) {
                int c = b.read();
                if (c < 0) break;
                if (c == 0xEF || c == 0xBB || c == 0xBF || Character.isWhitespace(c)) continue; // BOM, blanks
                first = c;
                break;
            }
            b.reset();
            if (first == '[') return new JsonArrayReader(file, new StrictUtf8Reader(file, b), allowEmpty);
            if (first < 0 && !allowEmpty) {
                b.close();
                throw InputError.at(file, 0, null, "the file is empty; expected a JSON array of objects or JSON Lines");
            }
            return new JsonlReader(file, b, allowEmpty);
        } catch (IOException e) {
            closeQuietly(in);
            throw new InputError(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static RecordReader parquet(Path file, boolean gz, boolean allowEmpty) {
        if (!gz) return new DuckDbReader(file, file, null, false, allowEmpty);
        // DuckDB cannot read a gzipped Parquet file: decompress to a private temporary copy first.
        Path tmp = null;
        try (InputStream in = open(file, true)) {
            tmp = Files.createTempFile("selftaught-", ".parquet");
            Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            if (tmp != null) tmp.toFile().delete();
            throw new InputError(file + ": cannot decompress: " + e.getMessage(), e);
        }
        return new DuckDbReader(file, tmp, tmp, false, allowEmpty);
    }

    private static InputStream open(Path file, boolean gz) {
        try {
            InputStream in = Files.newInputStream(file);
            if (!gz) return in;
            try {
                return new GZIPInputStream(in, 1 << 16);
            } catch (IOException e) {
                in.close();
                throw InputError.at(file, 0, null, "not a valid gzip file: " + e.getMessage());
            }
        } catch (NoSuchFileException e) {
            throw InputError.at(file, 0, null, "no such file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file, e);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // ignore
        }
    }
}
