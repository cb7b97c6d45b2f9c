package dev.selftaught.engine.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The resumable part of a run. {@code trainer-state.bin}: magic, settings fingerprint, step
 * (which is also the data position and the dropout stream position), loss, best-so-far bookkeeping,
 * evaluation history, then per parameter its values and both AdamW moments as little-endian float32.
 * {@code best.bin}: the parameter values at the best evaluation. Both are written to a temporary
 * file in the same directory and renamed, so a kill never leaves a half-written state.
 */
final class TrainState {
    private static final String MAGIC = "selftaught-train-state-v1";
    private static final String BEST_MAGIC = "selftaught-train-best-v1";
    static final String STATE_FILE = "trainer-state.bin";
    static final String BEST_FILE = "best.bin";

    long step;
    double lastLoss = Double.NaN;
    boolean stopped;
    long bestStep;
    double bestLoss = Double.NaN, bestMetric = Double.NaN;
    int sinceBest;
    final List<Trainer.Evaluation> evaluations = new ArrayList<>();
    private float[][] bestValues;

    boolean load(Path dir, String fingerprint, List<Params.Param> params, AdamW adam) {
        Path f = dir.resolve(STATE_FILE);
        if (!Files.isRegularFile(f)) return false;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(f), 1 << 16))) {
            if (!MAGIC.equals(in.readUTF())) throw new IllegalStateException(f + " is not a selftaught training state");
            String fp = in.readUTF();
            if (!fp.equals(fingerprint)) {
                throw new IllegalStateException(f + " was written by a run with different settings or data ("
                        + fp + " vs " + fingerprint + "); use a fresh output directory or delete it to start over");
            }
            step = in.readLong();
            lastLoss = in.readDouble();
            stopped = in.readBoolean();
            bestStep = in.readLong();
            bestLoss = in.readDouble();
            bestMetric = in.readDouble();
            sinceBest = in.readInt();
            int ne = in.readInt();
            for (int i = 0; i < ne; i++) evaluations.add(new Trainer.Evaluation(in.readLong(), in.readDouble(), in.readDouble(), in.readBoolean()));
            int np = in.readInt();
            if (np != params.size()) throw new IllegalStateException(f + " holds " + np + " tensors, the model has " + params.size());
            for (int i = 0; i < np; i++) {
                Params.Param p = params.get(i);
                String name = in.readUTF();
                if (!name.equals(p.name())) throw new IllegalStateException(f + ": tensor " + i + " is " + name + ", expected " + p.name());
                readFloats(in, p.value());
                readFloats(in, adam.m[i]);
                readFloats(in, adam.v[i]);
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read training state " + f, e);
        }
    }

    void save(Path dir, String fingerprint, List<Params.Param> params, AdamW adam) {
        atomicWrite(dir.resolve(STATE_FILE), out -> {
            out.writeUTF(MAGIC);
            out.writeUTF(fingerprint);
            out.writeLong(step);
            out.writeDouble(lastLoss);
            out.writeBoolean(stopped);
            out.writeLong(bestStep);
            out.writeDouble(bestLoss);
            out.writeDouble(bestMetric);
            out.writeInt(sinceBest);
            out.writeInt(evaluations.size());
            for (Trainer.Evaluation e : evaluations) {
                out.writeLong(e.step());
                out.writeDouble(e.validationLoss());
                out.writeDouble(e.metric());
                out.writeBoolean(e.best());
            }
            out.writeInt(params.size());
            for (int i = 0; i < params.size(); i++) {
                out.writeUTF(params.get(i).name());
                writeFloats(out, params.get(i).value());
                writeFloats(out, adam.m[i]);
                writeFloats(out, adam.v[i]);
            }
        });
    }

    void saveBest(Path dir, List<Params.Param> params) {
        bestValues = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) bestValues[i] = params.get(i).value().clone();
        if (dir == null) return;
        atomicWrite(dir.resolve(BEST_FILE), out -> {
            out.writeUTF(BEST_MAGIC);
            out.writeLong(bestStep);
            out.writeInt(params.size());
            for (float[] v : bestValues) writeFloats(out, v);
        });
    }

    void restoreBest(Path dir, List<Params.Param> params) {
        if (bestValues == null) {
            Path f = dir.resolve(BEST_FILE);
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(f), 1 << 16))) {
                if (!BEST_MAGIC.equals(in.readUTF())) throw new IllegalStateException(f + " is not a best-checkpoint file");
                in.readLong();
                int n = in.readInt();
                bestValues = new float[n][];
                for (int i = 0; i < n; i++) {
                    bestValues[i] = new float[params.get(i).value().length];
                    readFloats(in, bestValues[i]);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read best checkpoint " + f, e);
            }
        }
        for (int i = 0; i < params.size(); i++) System.arraycopy(bestValues[i], 0, params.get(i).value(), 0, bestValues[i].length);
    }

    interface Writer { void write(DataOutputStream out) throws IOException; }

    static void atomicWrite(Path target, Writer w) {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
                w.write(out);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        out.writeInt(a.length);
        ByteBuffer bb = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < a.length; ) {
            bb.clear();
            int n = Math.min(a.length - i, bb.capacity() / 4);
            bb.asFloatBuffer().put(a, i, n);
            out.write(bb.array(), 0, n * 4);
            i += n;
        }
    }

    static void readFloats(DataInputStream in, float[] a) throws IOException {
        int len = in.readInt();
        if (len != a.length) throw new IOException("tensor length " + len + " where " + a.length + " was expected");
        byte[] buf = new byte[1 << 16];
        ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < a.length; ) {
            int n = Math.min(a.length - i, buf.length / 4);
            in.readFully(buf, 0, n * 4);
            bb.clear();
            bb.asFloatBuffer().get(a, i, n);
            i += n;
        }
    }
}
