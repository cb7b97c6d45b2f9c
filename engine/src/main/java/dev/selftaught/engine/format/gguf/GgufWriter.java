package dev.selftaught.engine.format.gguf;

import dev.selftaught.engine.format.AtomicFiles;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file: metadata (any types) and tensors in any encoding {@link Quantize} writes. The file is written to a
 * temporary sibling and renamed into place.
 */
public final class GgufWriter {
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    /**
     * A tensor to write; {@code dims} innermost first (for a row-major [rows][cols] matrix: {cols, rows}).
     * Its values come from {@code data} when the file is written, so a large model can be produced
     * tensor by tensor without holding all of it.
     */
    private record Entry(String name, long[] dims, GgmlType type, java.util.function.Supplier<float[]> data) {
        long elements() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }
    }

    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        if (key.equals("general.alignment")) alignment = value.asLong().intValue();
        return this;
    }

    public GgufWriter alignment(int a) {
        if (a <= 0 || (a & (a - 1)) != 0) throw new IllegalArgumentException("alignment must be a power of two: " + a);
        alignment = a;
        metadata.put("general.alignment", GgufValue.u32(a));
        return this;
    }

    public GgufWriter tensor(String name, GgmlType type, float[] data, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        if (n != data.length) throw new IllegalArgumentException("tensor " + name + ": " + data.length + " values for dims " + java.util.Arrays.toString(dims));
        return tensor(name, type, () -> data, dims);
    }

    /**
     * A tensor whose values are produced when the file is written (then encoded as {@code type}:
     * F32, F16, BF16, Q8_0, Q4_0 or Q4_K; rows must be whole blocks).
     */
    public GgufWriter tensor(String name, GgmlType type, java.util.function.Supplier<float[]> data, long... dims) {
        if (type == GgmlType.Q6_K) throw new IllegalArgumentException("writer has no Q6_K encoder");
        if (dims[0] % type.blockSize != 0) throw new IllegalArgumentException("tensor " + name + ": rows of " + dims[0] + " are not whole " + type + " blocks");
        tensors.add(new Entry(name, dims.clone(), type, data));
        return this;
    }

    public void write(Path file) throws IOException {
        AtomicFiles.write(file, this::writeTo);
    }

    public void writeTo(OutputStream raw) throws IOException {
        CountingOut out = new CountingOut(raw);
        out.u32(GgufFile.MAGIC);
        out.u32(3);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            out.string(e.getKey());
            out.u32(e.getValue().type().id);
            writeValue(out, e.getValue().type(), e.getValue().elementType(), e.getValue().value());
        }
        long offset = 0;
        long[] offsets = new long[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            Entry t = tensors.get(i);
            offsets[i] = offset;
            out.string(t.name);
            out.u32(t.dims.length);
            for (long d : t.dims) out.u64(d);
            out.u32(t.type.id);
            out.u64(offset);
            offset = GgufFile.align(offset + t.type.bytesFor(t.elements()), alignment);
        }
        out.pad(alignment);
        long dataStart = out.count;
        for (int i = 0; i < tensors.size(); i++) {
            Entry t = tensors.get(i);
            out.padTo(dataStart + offsets[i]);
            float[] data = t.data.get();
            if (data.length != t.elements()) throw new IllegalStateException("tensor " + t.name + ": " + data.length + " values for " + t.elements());
            // Encoded in parallel chunks of whole blocks, written in order.
            int chunk = Math.max(t.type.blockSize, (1 << 18) / t.type.blockSize * t.type.blockSize);
            int chunks = (data.length + chunk - 1) / chunk;
            for (int first = 0; first < chunks; first += 64) {
                int from = first;
                java.util.List<byte[]> encoded = java.util.stream.IntStream.range(from, Math.min(chunks, from + 64)).parallel()
                        .mapToObj(k -> Quantize.encode(t.type, data, k * chunk, Math.min(chunk, data.length - k * chunk))).toList();
                for (byte[] b : encoded) out.write(b, 0, b.length);
            }
        }
        out.flush();
    }

    private static void writeValue(CountingOut out, GgufValue.Type t, GgufValue.Type et, Object v) throws IOException {
        switch (t) {
            case UINT8, INT8, BOOL -> out.write(t == GgufValue.Type.BOOL ? ((Boolean) v ? 1 : 0) : ((Number) v).intValue());
            case UINT16, INT16 -> out.u16(((Number) v).intValue());
            case UINT32, INT32 -> out.u32(((Number) v).intValue());
            case UINT64, INT64 -> out.u64(((Number) v).longValue());
            case FLOAT32 -> out.u32(Float.floatToRawIntBits(((Number) v).floatValue()));
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
            case STRING -> out.string((String) v);
            case ARRAY -> {
                out.u32(et.id);
                int n = java.lang.reflect.Array.getLength(v);
                out.u64(n);
                switch (v) {
                    case String[] a -> { for (String s : a) out.string(s); }
                    case float[] a -> { for (float f : a) out.u32(Float.floatToRawIntBits(f)); }
                    case int[] a -> { for (int x : a) out.u32(x); }
                    case long[] a -> { for (long x : a) out.u64(x); }
                    case short[] a -> { for (short x : a) out.u16(x); }
                    case byte[] a -> out.write(a);
                    case double[] a -> { for (double x : a) out.u64(Double.doubleToRawLongBits(x)); }
                    case boolean[] a -> { for (boolean x : a) out.write(x ? 1 : 0); }
                    case Object[] a -> {
                        for (Object o : a) {
                            GgufValue g = (GgufValue) o;
                            writeValue(out, g.type(), g.elementType(), g.value());
                        }
                    }
                    default -> throw new IllegalArgumentException("unsupported array " + v.getClass());
                }
            }
        }
    }

    /** Little-endian output that counts bytes, for alignment. */
    private static final class CountingOut extends OutputStream {
        final OutputStream out;
        long count;
        final byte[] b8 = new byte[8];

        CountingOut(OutputStream out) { this.out = out; }

        @Override public void write(int b) throws IOException { out.write(b); count++; }
        @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); count += len; }
        @Override public void flush() throws IOException { out.flush(); }

        void u16(int v) throws IOException { b8[0] = (byte) v; b8[1] = (byte) (v >> 8); write(b8, 0, 2); }
        void u32(int v) throws IOException { for (int i = 0; i < 4; i++) b8[i] = (byte) (v >> (8 * i)); write(b8, 0, 4); }
        void u64(long v) throws IOException { for (int i = 0; i < 8; i++) b8[i] = (byte) (v >> (8 * i)); write(b8, 0, 8); }
        void string(String s) throws IOException { byte[] b = s.getBytes(StandardCharsets.UTF_8); u64(b.length); write(b, 0, b.length); }
        void pad(int a) throws IOException { padTo(GgufFile.align(count, a)); }
        void padTo(long target) throws IOException { while (count < target) write(0); }
    }
}
