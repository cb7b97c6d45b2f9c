package dev.selftaught.engine.llama2c;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.model.ModelFormatException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Reads and writes llama2.c ("legacy" export, the format run.c reads) checkpoints.
 *
 * <p>Layout, little-endian: a header of 7 int32 {@code dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size, seq_len} (a negative vocab_size means the output head is stored
 * separately, i.e. not tied), then float32 tensors in this order: token embedding
 * {@code [vocab][dim]}; per-layer stacks of attention RMSNorm {@code [L][dim]}, wq {@code [L][dim][dim]},
 * wk {@code [L][kvDim][dim]}, wv {@code [L][kvDim][dim]}, wo {@code [L][dim][dim]}, FFN RMSNorm
 * {@code [L][dim]}, w1 {@code [L][hidden][dim]}, w2 {@code [L][dim][hidden]}, w3 {@code [L][hidden][dim]};
 * the final RMSNorm {@code [dim]}; two unused RoPE tables {@code [seq_len][headSize/2]} (cos then
 * sin); and, when untied, the output head {@code [vocab][dim]}. RMSNorm epsilon 1e-5, rope theta
 * 10000, no biases.
 */
public final class Llama2cCheckpoint {
    private Llama2cCheckpoint() {}

    static final int HEADER_BYTES = 7 * 4;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Reads only the header (cheap; used to recognise the format). */
    public static LlamaConfig readConfig(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() < HEADER_BYTES) {
                throw ModelFormatException.at(file, "too short for a llama2.c checkpoint (" + ch.size() + " bytes, the header alone is 28)");
            }
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b) >= 0) { /* fill */ }
            b.flip();
            int[] h = new int[7];
            for (int i = 0; i < 7; i++) h[i] = b.getInt();
            LlamaConfig c = configFromHeader(file, h);
            long expected = expectedSize(c);
            if (ch.size() != expected) {
                throw ModelFormatException.at(file, "llama2.c checkpoint with header " + describe(h) + " should be "
                        + expected + " bytes but is " + ch.size() + (ch.size() < expected ? " (truncated?)" : " (trailing data or a different format)"));
            }
            return c;
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static LlamaConfig configFromHeader(Path file, int[] h) {
        String[] names = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
        for (int i = 0; i < 7; i++) {
            int val = i == 5 ? Math.abs(h[i]) : h[i];
            if (val <= 0 || val > (1 << 24)) {
                throw ModelFormatException.at(file, "not a llama2.c checkpoint: header field " + names[i] + " (byte " + (4 * i) + ") is " + h[i]);
            }
        }
        try {
            return new LlamaConfig(h[0], h[1], h[2], h[3], h[4], Math.abs(h[5]), h[6], 1e-5f, 10000f, null, h[5] > 0, false);
        } catch (IllegalArgumentException e) {
            throw ModelFormatException.at(file, "inconsistent llama2.c header " + describe(h) + ": " + e.getMessage());
        }
    }

    private static String describe(int[] h) {
        return "[dim=" + h[0] + " hidden_dim=" + h[1] + " n_layers=" + h[2] + " n_heads=" + h[3]
                + " n_kv_heads=" + h[4] + " vocab_size=" + h[5] + " seq_len=" + h[6] + "]";
    }

    /** Size in bytes of a checkpoint of this configuration. */
    public static long expectedSize(LlamaConfig c) {
        long L = c.nLayers(), d = c.dim(), kv = c.kvDim(), hd = c.hiddenDim(), V = c.vocabSize();
        long floats = V * d + L * d + L * d * d + 2 * L * kv * d + L * d * d + L * d + 3 * L * hd * d + d
                + (long) c.maxSeqLen() * c.headSize();            // the two unused RoPE tables
        if (!c.tiedEmbeddings()) floats += V * d;
        return HEADER_BYTES + 4 * floats;
    }

    /** Reads a whole checkpoint, memory-mapping the file and copying each tensor out of it. */
    public static LlamaWeights read(Path file) {
        LlamaConfig c = readConfig(file);
        if (c.qkvBias()) throw new IllegalStateException("unreachable");
        LlamaWeights w = new LlamaWeights(c);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            long[] off = {HEADER_BYTES};
            copy(seg, off, w.tokenEmbedding);
            for (float[] a : w.attnNorm) copy(seg, off, a);
            for (float[] a : w.wq) copy(seg, off, a);
            for (float[] a : w.wk) copy(seg, off, a);
            for (float[] a : w.wv) copy(seg, off, a);
            for (float[] a : w.wo) copy(seg, off, a);
            for (float[] a : w.ffnNorm) copy(seg, off, a);
            for (float[] a : w.w1) copy(seg, off, a);
            for (float[] a : w.w2) copy(seg, off, a);
            for (float[] a : w.w3) copy(seg, off, a);
            copy(seg, off, w.finalNorm);
            off[0] += 4L * c.maxSeqLen() * c.headSize();
            if (!c.tiedEmbeddings()) copy(seg, off, w.output);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        return w;
    }

    private static void copy(MemorySegment seg, long[] off, float[] dst) {
        MemorySegment.copy(seg, FLOAT, off[0], dst, 0, dst.length);
        off[0] += 4L * dst.length;
    }

    /**
     * Writes {@code w} as a llama2.c checkpoint, atomically (temp file in the same directory, then
     * rename). Only configurations llama2.c can express are accepted: no q/k/v bias, theta 10000,
     * no rope scaling (eps is not stored; llama2.c assumes 1e-5).
     */
    public static void write(LlamaWeights w, Path file) throws IOException {
        LlamaConfig c = w.config;
        if (c.qkvBias() || c.ropeScaling() != null || c.ropeTheta() != 10000f) {
            throw new IllegalArgumentException("llama2.c format cannot hold q/k/v biases, rope scaling or rope theta != 10000");
        }
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                h.putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.nLayers()).putInt(c.nHeads()).putInt(c.nKvHeads())
                        .putInt(c.tiedEmbeddings() ? c.vocabSize() : -c.vocabSize()).putInt(c.maxSeqLen());
                out.write(h.array());
                put(out, w.tokenEmbedding);
                for (float[] a : w.attnNorm) put(out, a);
                for (float[] a : w.wq) put(out, a);
                for (float[] a : w.wk) put(out, a);
                for (float[] a : w.wv) put(out, a);
                for (float[] a : w.wo) put(out, a);
                for (float[] a : w.ffnNorm) put(out, a);
                for (float[] a : w.w1) put(out, a);
                for (float[] a : w.w2) put(out, a);
                for (float[] a : w.w3) put(out, a);
                put(out, w.finalNorm);
                // The RoPE tables run.c skips; written with real values for readers that use them.
                int half = c.headSize() / 2;
                float[] cosT = new float[c.maxSeqLen() * half], sinT = new float[c.maxSeqLen() * half];
                for (int p = 0; p < c.maxSeqLen(); p++) {
                    for (int i = 0; i < half; i++) {
                        double f = 1.0 / Math.pow(10000.0, (2.0 * i) / c.headSize());
                        cosT[p * half + i] = (float) Math.cos(p * f);
                        sinT[p * half + i] = (float) Math.sin(p * f);
                    }
                }
                put(out, cosT);
                put(out, sinT);
                if (!c.tiedEmbeddings()) put(out, w.output);
            }
            Llama2cCheckpoint.readableByAll(tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Temp files are created owner-only; a model file is meant to be shared like any other file. */
    static void readableByAll(Path p) {
        try {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: keep the default permissions
        }
    }

    private static void put(OutputStream out, float[] a) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Math.min(a.length, 1 << 16) * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < a.length; ) {
            b.clear();
            int n = Math.min(a.length - i, b.capacity() / 4);
            b.asFloatBuffer().put(a, i, n);
            out.write(b.array(), 0, n * 4);
            i += n;
        }
    }
}
