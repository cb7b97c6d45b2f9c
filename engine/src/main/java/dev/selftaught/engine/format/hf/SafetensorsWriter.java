package dev.selftaught.engine.format.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.engine.format.AtomicFiles;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes one safetensors file of F32, F16 or BF16 tensors (header padded to 8 bytes with spaces). */
public final class SafetensorsWriter {
    public enum DType {
        F32(4, "float32"), F16(2, "float16"), BF16(2, "bfloat16");
        final int width;
        /** torch_dtype name for config.json */
        public final String torchName;
        DType(int width, String torchName) { this.width = width; this.torchName = torchName; }
    }

    private record Entry(String name, DType dtype, long[] shape, float[] data) {}

    private final List<Entry> tensors = new ArrayList<>();

    /** Adds a tensor; {@code shape} outermost first (a [rows][cols] matrix is {rows, cols}). */
    public SafetensorsWriter add(String name, DType dtype, float[] data, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        if (n != data.length) throw new IllegalArgumentException("tensor " + name + ": " + data.length + " values for shape " + java.util.Arrays.toString(shape));
        tensors.add(new Entry(name, dtype, shape.clone(), data));
        return this;
    }

    public void write(Path file) throws IOException { AtomicFiles.write(file, this::writeTo); }

    /** Bytes of tensor data (without the header): what an index's {@code metadata.total_size} sums. */
    public long dataBytes() {
        long n = 0;
        for (Entry e : tensors) n += bytes(e);
        return n;
    }

    /** Tensor names in the order they are written. */
    public List<String> names() { return tensors.stream().map(Entry::name).toList(); }

    private static long bytes(Entry e) { return (long) e.data.length * e.dtype.width; }

    /**
     * Splits the tensors, in order, into consecutive groups of at most {@code maxBytes} data bytes,
     * the way transformers' {@code save_pretrained} fills shards: a tensor that does not fit in the
     * current shard starts the next one, and a tensor larger than the limit gets a shard of its own.
     * One group when everything fits (or {@code maxBytes <= 0}: no limit).
     */
    public List<SafetensorsWriter> split(long maxBytes) {
        List<SafetensorsWriter> shards = new ArrayList<>();
        SafetensorsWriter cur = new SafetensorsWriter();
        long size = 0;
        for (Entry e : tensors) {
            long b = bytes(e);
            if (maxBytes > 0 && !cur.tensors.isEmpty() && size + b > maxBytes) {
                shards.add(cur);
                cur = new SafetensorsWriter();
                size = 0;
            }
            cur.tensors.add(e);
            size += b;
        }
        shards.add(cur);
        return shards;
    }

    public void writeTo(OutputStream out) throws IOException {
        ObjectNode header = HfConfig.JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Entry e : tensors) {
            ObjectNode t = header.putObject(e.name);
            t.put("dtype", e.dtype.name());
            var sh = t.putArray("shape");
            for (long d : e.shape) sh.add(d);
            long bytes = (long) e.data.length * e.dtype.width;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = HfConfig.JSON.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        out.write(len.array());
        out.write(json);
        for (int i = json.length; i < padded; i++) out.write(' ');
        ByteBuffer bb = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Entry e : tensors) {
            for (float v : e.data) {
                if (bb.remaining() < 4) { out.write(bb.array(), 0, bb.position()); bb.clear(); }
                switch (e.dtype) {
                    case F32 -> bb.putFloat(v);
                    case F16 -> bb.putShort(Float.floatToFloat16(v));
                    case BF16 -> bb.putShort(toBf16(v));
                }
            }
        }
        out.write(bb.array(), 0, bb.position());
    }

    /** Round-to-nearest-even float to bfloat16 (NaN kept NaN). */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
