package dev.selftaught.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.selftaught.data.InputError;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The pipeline's file plumbing: JSONL/JSON reading and atomic writing of its own record files,
 * and content hashes for the stage "done" markers. Records use snake_case field names.
 */
public final class PipelineIo {
    /** snake_case mapper for the pipeline's record types; sorted keys keep hashes stable. */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .build();

    private PipelineIo() {}

    /** Reads one record per non-blank line; a bad line is an InputError naming file and line. */
    public static <T> List<T> readJsonl(Path file, Class<T> type) {
        List<T> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                try {
                    out.add(JSON.readValue(line, type));
                } catch (JsonProcessingException e) {
                    throw InputError.at(file, n, null, "not a valid " + type.getSimpleName() + " record: "
                            + e.getOriginalMessage());
                }
            }
        } catch (IOException e) {
            throw new InputError(file + ": cannot read: " + e.getMessage(), e);
        }
        return out;
    }

    /** Writes records as JSONL to a temp file beside {@code file}, then renames it into place. */
    public static void writeJsonl(Path file, List<?> records) {
        atomicWrite(file, w -> {
            for (Object r : records) {
                w.write(JSON.writeValueAsString(r));
                w.write('\n');
            }
        });
    }

    /** Writes one pretty-printed JSON value atomically. */
    public static void writeJson(Path file, Object value) {
        atomicWrite(file, w -> {
            // Manifests and summaries name model specs: a URL's user:password never reaches the file.
            w.write(dev.selftaught.data.UrlUserInfo.redact(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value)));
            w.write('\n');
        });
    }

    public static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new InputError(file + ": cannot read JSON: " + e.getMessage(), e);
        }
    }

    public static void writeText(Path file, String text) {
        atomicWrite(file, w -> w.write(dev.selftaught.data.UrlUserInfo.redact(text)));
    }

    interface WriterBody { void write(BufferedWriter w) throws IOException; }

    /** Writes through a temp file beside {@code file}, committed by the data package's atomic rename. */
    static void atomicWrite(Path file, WriterBody body) {
        try {
            Path tmp = dev.selftaught.data.AtomicFiles.tempBeside(file.toAbsolutePath());
            try {
                try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                    body.write(w);
                }
                dev.selftaught.data.AtomicFiles.commit(tmp, file.toAbsolutePath());
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** SHA-256 of a file's bytes, hex; "missing" when it does not exist. */
    public static String sha256(Path file) {
        if (!Files.isRegularFile(file)) return "missing";
        try (var in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int k;
            while ((k = in.read(buf)) > 0) md.update(buf, 0, k);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 of a string (UTF-8), hex. */
    public static String sha256(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Hash of a value's canonical JSON (sorted map keys): settings records, input maps. */
    public static String hashOf(Object value) {
        try {
            return sha256(JSON.writeValueAsString(JSON.valueToTree(value)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A stable 64-bit seed from a base seed and some strings (pair id, order, round...). */
    public static long derivedSeed(long base, Object... parts) {
        StringBuilder sb = new StringBuilder().append(base);
        for (Object p : parts) sb.append('\u0000').append(p);
        String h = sha256(sb.toString());
        return Long.parseUnsignedLong(h.substring(0, 12), 16); // 48 bits: positive, JSON-safe
    }
}
