package dev.selftaught.engine.format.gguf;

import dev.selftaught.engine.format.ModelFormatException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped GGUF file (versions 2 and 3): header, metadata, tensor directory and lazy
 * access to tensor data. Layout (little-endian): magic "GGUF", u32 version, u64 tensor count,
 * u64 metadata count, metadata key/value pairs, tensor infos (name, u32 n_dims, u64 dims
 * innermost first, u32 ggml type, u64 offset into the data section), padding to
 * {@code general.alignment} (default 32), tensor data.
 *
 * <p>Every read is bounds-checked: a short or corrupt file gives a {@link ModelFormatException}
 * naming the file, the byte offset and what was being read.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" read as little-endian u32
    public static final int DEFAULT_ALIGNMENT = 32;

    /** One tensor's directory entry. {@code dims} are innermost first (ggml's ne[]). */
    public record TensorInfo(String name, long[] dims, int typeId, long offset, long dataOffset) {
        public long elements() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }

        public GgmlType type() { return GgmlType.of(typeId); }

        public String shape() { return Arrays.toString(dims); }
    }

    private final Path path;
    private final Arena arena;
    /** the arena is automatic (see {@link #openMapped}) and cannot be closed */
    private final boolean auto;
    private final MemorySegment seg;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final Map<String, TensorInfo> tensors;
    private final long dataStart;
    private final int alignment;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private long pos;

    private GgufFile(Path path, boolean auto) throws IOException {
        this.path = path;
        this.auto = auto;
        this.arena = auto ? Arena.ofAuto() : Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            this.seg = ch.size() == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException | RuntimeException e) {
            closeArena();
            throw e;
        }
        try {
            need(4, "the magic number");
            int magic = seg.get(I32, 0);
            if (magic != MAGIC) {
                throw ModelFormatException.at(path, 0, "wrong magic 0x" + Integer.toHexString(magic)
                        + ": not a GGUF file (expected the bytes \"GGUF\")");
            }
            pos = 4;
            version = u32("the version");
            if (version != 2 && version != 3) {
                throw ModelFormatException.at(path, 4, "unsupported GGUF version " + version + " (this engine reads versions 2 and 3)");
            }
            long nTensors = u64("the tensor count");
            long nKv = u64("the metadata count");
            if (nTensors < 0 || nTensors > seg.byteSize() / 8 || nKv < 0 || nKv > seg.byteSize() / 8) {
                throw ModelFormatException.at(path, 8, "implausible counts: " + nTensors + " tensors, " + nKv + " metadata entries in a file of " + seg.byteSize() + " bytes");
            }
            Map<String, GgufValue> md = new LinkedHashMap<>();
            for (long i = 0; i < nKv; i++) {
                long at = pos;
                String key = string("metadata key #" + i);
                int typeId = u32("the type of metadata '" + key + "'");
                GgufValue.Type t = GgufValue.Type.of(typeId);
                if (t == null) throw ModelFormatException.at(path, at, "metadata '" + key + "' has unknown value type " + typeId);
                md.put(key, value(t, key));
            }
            this.metadata = Collections.unmodifiableMap(md);
            GgufValue al = md.get("general.alignment");
            int a = DEFAULT_ALIGNMENT;
            if (al != null) {
                Long l = al.asLong();
                if (l == null || l <= 0 || l > (1 << 20) || (l & (l - 1)) != 0) {
                    throw ModelFormatException.in(path, "general.alignment must be a power of two, got " + al);
                }
                a = l.intValue();
            }
            this.alignment = a;
            List<Object[]> raw = new ArrayList<>();
            for (long i = 0; i < nTensors; i++) {
                long at = pos;
                String name = string("tensor info #" + i);
                int nDims = u32("n_dims of tensor '" + name + "'");
                if (nDims < 1 || nDims > 4) throw ModelFormatException.at(path, at, "tensor '" + name + "' has " + nDims + " dimensions (1 to 4 allowed)");
                long[] dims = new long[nDims];
                for (int d = 0; d < nDims; d++) {
                    dims[d] = u64("dimension " + d + " of tensor '" + name + "'");
                    if (dims[d] <= 0 || dims[d] > Integer.MAX_VALUE) throw ModelFormatException.at(path, at, "tensor '" + name + "' has invalid dimension " + dims[d]);
                }
                long elements = 1;
                for (long d : dims) {
                    try {
                        elements = Math.multiplyExact(elements, d);
                    } catch (ArithmeticException e) {
                        elements = Long.MAX_VALUE;
                    }
                }
                if (elements > seg.byteSize() * 8) {
                    throw ModelFormatException.at(path, at, "tensor '" + name + "' claims " + Arrays.toString(dims) + " elements, more than the file can hold");
                }
                int type = u32("the type of tensor '" + name + "'");
                long off = u64("the offset of tensor '" + name + "'");
                if (off < 0 || off > seg.byteSize()) {
                    throw ModelFormatException.at(path, at, "tensor '" + name + "' has data offset " + Long.toUnsignedString(off) + " beyond the end of the file");
                }
                raw.add(new Object[] {name, dims, type, off, at});
            }
            this.dataStart = align(pos, alignment);
            Map<String, TensorInfo> ts = new LinkedHashMap<>();
            for (Object[] r : raw) {
                String name = (String) r[0];
                long off = (Long) r[3];
                TensorInfo ti = new TensorInfo(name, (long[]) r[1], (Integer) r[2], off, dataStart + off);
                if (off % alignment != 0) {
                    throw ModelFormatException.at(path, (Long) r[4], "tensor '" + name + "' offset " + off + " is not a multiple of the alignment " + alignment);
                }
                if (ts.put(name, ti) != null) throw ModelFormatException.at(path, (Long) r[4], "tensor '" + name + "' appears twice");
            }
            this.tensors = Collections.unmodifiableMap(ts);
        } catch (RuntimeException e) {
            closeArena();
            throw e;
        }
    }

    private void closeArena() {
        if (!auto) arena.close();
    }

    /** Opens and parses the header, metadata and tensor directory; tensor data is read on demand. */
    public static GgufFile open(Path path) throws IOException {
        return new GgufFile(path, false);
    }

    /**
     * Opens the file for use as long as anything holds one of its tensor segments: the mapping
     * lives in an automatic arena and is unmapped when the last segment becomes unreachable, so
     * weights that stay in the file need no explicit close. {@link #close()} is then a no-op.
     */
    public static GgufFile openMapped(Path path) throws IOException {
        return new GgufFile(path, true);
    }

    public Path path() { return path; }
    public int version() { return version; }
    public int alignment() { return alignment; }
    public long dataStart() { return dataStart; }
    public Map<String, GgufValue> metadata() { return metadata; }
    public Map<String, TensorInfo> tensors() { return tensors; }

    public TensorInfo tensor(String name) { return tensors.get(name); }

    /**
     * Reads a tensor as floats, dequantizing it. Checks that the type is supported, that the
     * row length is a whole number of blocks and that the data lies inside the file.
     */
    public float[] readFloats(TensorInfo t) {
        MemorySegment data = data(t);
        GgmlType type = t.type();
        long n = t.elements();
        if (n > Integer.MAX_VALUE - 8) throw ModelFormatException.in(path, "tensor '" + t.name() + "' has " + n + " elements, too many for one array");
        float[] out = new float[(int) n];
        // Large tensors are dequantized in parallel chunks of whole blocks (2^20 values).
        int chunk = 1 << 20;
        int chunks = (int) ((n + chunk - 1) / chunk);
        java.util.stream.IntStream.range(0, chunks).parallel().forEach(c -> {
            long first = (long) c * chunk;
            int count = (int) Math.min(chunk, n - first);
            Dequantize.toFloats(data, type.bytesFor(first), type, out, (int) first, count);
        });
        return out;
    }

    /**
     * The bytes of a tensor, in its stored encoding. Checks that the type is supported, that the
     * row length is a whole number of blocks and that the data lies inside the file.
     */
    public MemorySegment data(TensorInfo t) {
        GgmlType type = t.type();
        if (type == null) {
            throw ModelFormatException.at(path, t.dataOffset(), "tensor '" + t.name() + "' has unsupported type "
                    + GgmlType.nameOf(t.typeId()) + " (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
        }
        long n = t.elements();
        if (t.dims()[0] % type.blockSize != 0) {
            throw ModelFormatException.in(path, "tensor '" + t.name() + "' of type " + type + " has row length " + t.dims()[0]
                    + ", not a multiple of its block size " + type.blockSize);
        }
        long bytes = type.bytesFor(n);
        if (t.dataOffset() + bytes > seg.byteSize()) {
            throw ModelFormatException.at(path, t.dataOffset(), "file truncated: tensor '" + t.name() + "' needs " + bytes
                    + " bytes but the file ends at " + seg.byteSize());
        }
        return seg.asSlice(t.dataOffset(), bytes);
    }

    // ----- metadata accessors -----

    public GgufValue get(String key) { return metadata.get(key); }

    public String getString(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) return null;
        if (v.type() != GgufValue.Type.STRING) throw ModelFormatException.in(path, "metadata '" + key + "' should be a string, is " + v);
        return (String) v.value();
    }

    /** Integer metadata or {@code dflt} when absent. */
    public long getLong(String key, long dflt) {
        GgufValue v = metadata.get(key);
        if (v == null) return dflt;
        Long l = v.asLong();
        if (l == null) throw ModelFormatException.in(path, "metadata '" + key + "' should be an integer, is " + v);
        return l;
    }

    public boolean getBool(String key, boolean dflt) {
        GgufValue v = metadata.get(key);
        if (v == null) return dflt;
        if (v.type() != GgufValue.Type.BOOL) throw ModelFormatException.in(path, "metadata '" + key + "' should be a bool, is " + v);
        return (Boolean) v.value();
    }

    public double getDouble(String key, double dflt) {
        GgufValue v = metadata.get(key);
        if (v == null) return dflt;
        Double d = v.asDouble();
        if (d == null) throw ModelFormatException.in(path, "metadata '" + key + "' should be a number, is " + v);
        return d;
    }

    public String[] getStrings(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) return null;
        if (v.type() != GgufValue.Type.ARRAY || v.elementType() != GgufValue.Type.STRING) {
            throw ModelFormatException.in(path, "metadata '" + key + "' should be an array of strings, is " + v);
        }
        return (String[]) v.value();
    }

    public float[] getFloats(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) return null;
        if (v.type() == GgufValue.Type.ARRAY && v.elementType() == GgufValue.Type.FLOAT32) return (float[]) v.value();
        throw ModelFormatException.in(path, "metadata '" + key + "' should be an array of float32, is " + v);
    }

    /** Integer array of any integer element type, widened to int. */
    public int[] getInts(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) return null;
        if (v.type() == GgufValue.Type.ARRAY) {
            Object a = v.value();
            if (a instanceof int[] ia) return ia;
            if (a instanceof byte[] ba) { int[] r = new int[ba.length]; for (int i = 0; i < r.length; i++) r[i] = ba[i]; return r; }
            if (a instanceof short[] sa) { int[] r = new int[sa.length]; for (int i = 0; i < r.length; i++) r[i] = sa[i]; return r; }
            if (a instanceof long[] la) { int[] r = new int[la.length]; for (int i = 0; i < r.length; i++) r[i] = (int) la[i]; return r; }
        }
        throw ModelFormatException.in(path, "metadata '" + key + "' should be an array of integers, is " + v);
    }

    @Override
    public void close() { closeArena(); }

    // ----- primitive reads with bounds checks -----

    private void need(long n, String what) {
        if (n < 0 || pos + n > seg.byteSize()) {
            throw ModelFormatException.at(path, pos, "file truncated while reading " + what + " (needs " + n + " bytes, file has " + seg.byteSize() + ")");
        }
    }

    private int u32(String what) { need(4, what); int v = seg.get(I32, pos); pos += 4; return v; }

    private long u64(String what) { need(8, what); long v = seg.get(I64, pos); pos += 8; return v; }

    private String string(String what) {
        long at = pos;
        long len = u64("the length of " + what);
        if (len < 0 || len > seg.byteSize() - pos) {
            throw ModelFormatException.at(path, at, "file truncated or corrupt: " + what + " claims a string of " + len + " bytes");
        }
        byte[] b = new byte[(int) len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, b.length);
        pos += len;
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            // Some vocabularies hold pieces that are not valid UTF-8 on their own; keep them readable.
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    private GgufValue value(GgufValue.Type t, String key) {
        String what = "metadata '" + key + "'";
        switch (t) {
            case UINT8, INT8 -> { need(1, what); byte v = seg.get(ValueLayout.JAVA_BYTE, pos); pos += 1; return new GgufValue(t, null, (int) v); }
            case UINT16, INT16 -> { need(2, what); short v = seg.get(I16, pos); pos += 2; return new GgufValue(t, null, (int) v); }
            case UINT32, INT32 -> { return new GgufValue(t, null, u32(what)); }
            case UINT64, INT64 -> { return new GgufValue(t, null, u64(what)); }
            case FLOAT32 -> { need(4, what); float v = seg.get(F32, pos); pos += 4; return new GgufValue(t, null, v); }
            case FLOAT64 -> { need(8, what); double v = seg.get(F64, pos); pos += 8; return new GgufValue(t, null, v); }
            case BOOL -> { need(1, what); byte v = seg.get(ValueLayout.JAVA_BYTE, pos); pos += 1; return new GgufValue(t, null, v != 0); }
            case STRING -> { return new GgufValue(t, null, string(what)); }
            case ARRAY -> {
                long at = pos;
                int et = u32("the element type of " + what);
                GgufValue.Type e = GgufValue.Type.of(et);
                if (e == null) throw ModelFormatException.at(path, at, what + " is an array of unknown type " + et);
                long n = u64("the length of " + what);
                long minBytes = e.size > 0 ? (long) e.size : 8;
                if (n < 0 || n > (seg.byteSize() - pos) / minBytes) {
                    throw ModelFormatException.at(path, at, "file truncated or corrupt: " + what + " claims " + n + " elements");
                }
                int len = (int) n;
                Object arr;
                switch (e) {
                    case UINT8, INT8 -> { byte[] a = new byte[len]; MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, a, 0, len); pos += len; arr = a; }
                    case UINT16, INT16 -> { short[] a = new short[len]; MemorySegment.copy(seg, I16, pos, a, 0, len); pos += 2L * len; arr = a; }
                    case UINT32, INT32 -> { int[] a = new int[len]; MemorySegment.copy(seg, I32, pos, a, 0, len); pos += 4L * len; arr = a; }
                    case UINT64, INT64 -> { long[] a = new long[len]; MemorySegment.copy(seg, I64, pos, a, 0, len); pos += 8L * len; arr = a; }
                    case FLOAT32 -> { float[] a = new float[len]; MemorySegment.copy(seg, F32, pos, a, 0, len); pos += 4L * len; arr = a; }
                    case FLOAT64 -> { double[] a = new double[len]; MemorySegment.copy(seg, F64, pos, a, 0, len); pos += 8L * len; arr = a; }
                    case BOOL -> { boolean[] a = new boolean[len]; for (int i = 0; i < len; i++) a[i] = seg.get(ValueLayout.JAVA_BYTE, pos + i) != 0; pos += len; arr = a; }
                    case STRING -> { String[] a = new String[len]; for (int i = 0; i < len; i++) a[i] = string(what + "[" + i + "]"); arr = a; }
                    case ARRAY -> {
                        Object[] a = new Object[len];
                        for (int i = 0; i < len; i++) {
                            int it = u32("the element type of " + what + "[" + i + "]");
                            GgufValue.Type inner = GgufValue.Type.of(it);
                            if (inner == null) throw ModelFormatException.at(path, pos - 4, what + "[" + i + "] has unknown type " + it);
                            pos -= 4; // re-read the nested array header through value(ARRAY)
                            a[i] = value(GgufValue.Type.ARRAY, key + "[" + i + "]");
                        }
                        arr = a;
                    }
                    default -> throw new IllegalStateException();
                }
                return new GgufValue(t, e, arr);
            }
        }
        throw new IllegalStateException();
    }

    static long align(long x, int a) { return (x + a - 1) / a * a; }
}
