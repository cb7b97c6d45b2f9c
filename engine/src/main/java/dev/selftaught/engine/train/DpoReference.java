package dev.selftaught.engine.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The reference model's log-probabilities of every pair's chosen and rejected answers, computed
 * once (one forward pass per sequence, no gradients) before DPO training changes the weights,
 * and cached in a file: {@code magic, fingerprint, pair count, micro-batches done, 2·pairs doubles}
 * (NaN where not yet computed or dropped). The file is rewritten atomically (temporary file, then
 * rename) every few seconds while computing, so a killed run resumes where the last write left
 * off; a cache whose fingerprint (the caller's reference-model identity and a hash of the plan's
 * tokens) differs is recomputed from scratch.
 */
public final class DpoReference {
    private static final String MAGIC = "selftaught-dpo-reference-v1";

    private DpoReference() {}

    /** Progress of the computation: micro-batches of the first epoch done, of how many. */
    @FunctionalInterface
    public interface Progress { void update(int done, int total, boolean resumed); }

    /**
     * Loads the complete cache, or computes what is missing with {@code model} (which must hold the
     * reference weights: call before training).
     *
     * @param identity what the reference model is (e.g. its path and file sizes); part of the fingerprint
     */
    public static double[] compute(TrainingModel model, DpoPlan plan, Path cache, String identity, Progress progress) {
        return compute(model, plan, cache, identity, progress, 5_000_000_000L);
    }

    /** As above, rewriting the cache at most every {@code saveEveryNanos}. */
    static double[] compute(TrainingModel model, DpoPlan plan, Path cache, String identity, Progress progress, long saveEveryNanos) {
        String fingerprint = identity + "|" + planHash(plan);
        int total = plan.firstEpochSize();
        double[] ref = new double[2 * plan.pairCount()];
        Arrays.fill(ref, Double.NaN);
        int done = cache == null ? 0 : load(cache, fingerprint, ref);
        boolean resumed = done > 0;
        if (progress != null) progress.update(done, total, resumed);
        long lastSave = System.nanoTime();
        for (int i = done; i < total; i++) {
            DpoPlan.Batch b = plan.get(i);
            double[] logp = DpoPlan.sequenceLogps(b, model.tokenLosses(b.tokens()), null);
            for (int k = 0; k < b.size(); k++) {
                ref[2 * b.pairs()[k]] = logp[2 * k];
                ref[2 * b.pairs()[k] + 1] = logp[2 * k + 1];
            }
            if (cache != null && (i + 1 == total || System.nanoTime() - lastSave >= saveEveryNanos)) {
                save(cache, fingerprint, ref, i + 1);
                lastSave = System.nanoTime();
            }
            if (progress != null) progress.update(i + 1, total, resumed);
        }
        return ref;
    }

    /** Micro-batches done according to the cache (0 when absent or for another fingerprint); fills {@code ref}. */
    private static int load(Path cache, String fingerprint, double[] ref) {
        if (!Files.isRegularFile(cache)) return 0;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(cache)))) {
            if (!MAGIC.equals(in.readUTF()) || !fingerprint.equals(in.readUTF())) return 0;
            int pairs = in.readInt();
            if (pairs * 2 != ref.length) return 0;
            int done = in.readInt();
            for (int i = 0; i < ref.length; i++) ref[i] = in.readDouble();
            return done;
        } catch (IOException e) {
            Arrays.fill(ref, Double.NaN);
            return 0; // unreadable: computed again
        }
    }

    private static void save(Path cache, String fingerprint, double[] ref, int done) {
        Path tmp = cache.resolveSibling(cache.getFileName() + ".tmp");
        try {
            Files.createDirectories(cache.toAbsolutePath().getParent());
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
                out.writeUTF(MAGIC);
                out.writeUTF(fingerprint);
                out.writeInt(ref.length / 2);
                out.writeInt(done);
                for (double v : ref) out.writeDouble(v);
            }
            Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the DPO reference cache " + cache + ": " + e.getMessage(), e);
        }
    }

    /** SHA-256 of the first epoch's batches (tokens, targets, segments, pair ids): what the cached numbers belong to. */
    static String planHash(DpoPlan plan) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(4);
            for (int i = 0; i < plan.firstEpochSize(); i++) {
                DpoPlan.Batch b = plan.get(i);
                for (int[] a : new int[][] {b.tokens().tokens(), b.tokens().targets(), b.tokens().segments(), b.pairs(),
                        b.chosenSegments(), b.rejectedSegments(), {b.tokens().batch(), b.tokens().seqLen()}}) {
                    for (int v : a) md.update(buf.clear().putInt(v).array());
                    md.update((byte) ';');
                }
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
