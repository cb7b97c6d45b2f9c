package dev.selftaught.engine.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.engine.format.ModelFormatException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A memory-mapped safetensors file: u64 little-endian header length N, N bytes of JSON
 * ({@code name -> {dtype, shape, data_offsets: [begin, end]}}, plus optional {@code __metadata__}),
 * then the data; offsets are relative to the end of the header. Reads F32, F16 and BF16 as floats.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** One tensor; {@code shape} outermost first; {@code begin} absolute in the file. */
    public record Tensor(String name, String dtype, long[] shape, long begin, long end) {
        public long elements() { long n = 1; for (long d : shape) n *= d; return n; }
    }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment seg;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path) throws IOException {
        this.path = path;
        this.arena = Arena.ofShared();
        try {
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size < 8) throw ModelFormatException.at(path, 0, "file truncated: " + size + " bytes, too short for a safetensors header");
                seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            long n = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (n <= 0 || n > seg.byteSize() - 8 || n > 100_000_000) {
                throw ModelFormatException.at(path, 0, "header length " + n + " does not fit the file of " + seg.byteSize()
                        + " bytes (not a safetensors file, or truncated)");
            }
            byte[] hb = new byte[(int) n];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, 8, hb, 0, hb.length);
            if (hb[0] != '{') throw ModelFormatException.at(path, 8, "header does not start with '{': not a safetensors file");
            JsonNode header;
            try {
                header = HfConfig.JSON.readTree(new String(hb, StandardCharsets.UTF_8));
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw ModelFormatException.at(path, 8, "header is not valid JSON: " + e.getOriginalMessage());
            }
            long dataStart = 8 + n, dataSize = seg.byteSize() - dataStart;
            Map<String, Tensor> ts = new LinkedHashMap<>();
            Map<String, String> md = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().fields().forEachRemaining(m -> md.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode t = e.getValue();
                String name = e.getKey(), dtype = t.path("dtype").asText("");
                JsonNode sh = t.get("shape"), off = t.get("data_offsets");
                if (sh == null || !sh.isArray() || off == null || !off.isArray() || off.size() != 2) {
                    throw ModelFormatException.in(path, "tensor '" + name + "': header entry lacks shape or data_offsets");
                }
                long[] shape = new long[sh.size()];
                for (int i = 0; i < shape.length; i++) shape[i] = sh.get(i).asLong(-1);
                long b = off.get(0).asLong(-1), en = off.get(1).asLong(-1);
                if (b < 0 || en < b || en > dataSize) {
                    throw ModelFormatException.at(path, dataStart + Math.max(b, 0), "tensor '" + name + "': data_offsets [" + b + ", " + en
                            + "] fall outside the " + dataSize + " data bytes (file truncated?)");
                }
                Tensor tensor = new Tensor(name, dtype, shape, dataStart + b, dataStart + en);
                int width = width(dtype);
                if (width > 0) {
                    long elems = 1;
                    for (long d : shape) {
                        if (d < 0 || elems < 0) { elems = -1; continue; }
                        try { elems = Math.multiplyExact(elems, d); } catch (ArithmeticException ex) { elems = -1; }
                    }
                    if (elems > Integer.MAX_VALUE - 8) elems = -1;
                    if (elems < 0 || elems * width != en - b) {
                        throw ModelFormatException.at(path, dataStart + b, "tensor '" + name + "' of " + dtype + " shape " + Arrays.toString(shape)
                                + " needs " + (elems * width) + " bytes but data_offsets give " + (en - b));
                    }
                }
                ts.put(name, tensor);
            }
            tensors = Collections.unmodifiableMap(ts);
            metadata = Collections.unmodifiableMap(md);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public static SafetensorsFile open(Path path) throws IOException { return new SafetensorsFile(path); }

    private static int width(String dtype) {
        return switch (dtype) {
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "F64", "I64", "U64" -> 8;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }

    public Path path() { return path; }
    public Map<String, Tensor> tensors() { return tensors; }
    public Map<String, String> metadata() { return metadata; }

    /** Reads a tensor as floats (F32, F16 or BF16). */
    public float[] readFloats(Tensor t) {
        int n = (int) t.elements();
        float[] out = new float[n];
        switch (t.dtype()) {
            case "F32" -> MemorySegment.copy(seg, F32, t.begin(), out, 0, n);
            case "F16", "BF16" -> {
                boolean bf16 = t.dtype().equals("BF16");
                int chunk = 1 << 20;
                java.util.stream.IntStream.range(0, (n + chunk - 1) / chunk).parallel().forEach(c -> {
                    int end = (int) Math.min((long) (c + 1) * chunk, n);
                    for (int i = c * chunk; i < end; i++) {
                        short h = seg.get(I16, t.begin() + 2L * i);
                        out[i] = bf16 ? Float.intBitsToFloat((h & 0xFFFF) << 16) : Float.float16ToFloat(h);
                    }
                });
            }
            default -> throw ModelFormatException.at(path, t.begin(), "tensor '" + t.name() + "' has unsupported dtype " + t.dtype() + " (supported: F32, F16, BF16)");
        }
        return out;
    }

    @Override
    public void close() { arena.close(); }
}
