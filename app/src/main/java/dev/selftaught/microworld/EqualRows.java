package dev.selftaught.microworld;

import dev.selftaught.pipeline.AnnotateStage;
import dev.selftaught.pipeline.PipelineIo;
import dev.selftaught.pipeline.RunLoop;
import dev.selftaught.pipeline.StageMarker;
import dev.selftaught.train.TrainJob;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * Puts two runs on equal terms: in round i each trains on as many rows as the smaller of the two
 * runs kept in its round i (the larger one is subsampled, keeping the A/B verdict balance). The
 * method and the direct-bad-response ablation run side by side; a round's trainer waits until the
 * sibling run has annotated the same round. Writes {@code round-i/equal-rows.json}; when a run is
 * subsampled it trains on {@code round-i/sft-equal.jsonl}.
 */
final class EqualRows implements RunLoop.TrainerFactory {
    private final RunLoop.TrainerFactory inner;
    private final Path sibling;
    private final BooleanSupplier siblingFailed;
    private final long seed;

    /**
     * @param inner         the real trainers
     * @param sibling       the other run's directory
     * @param siblingFailed true once the other run has stopped with an error (the wait then fails instead of hanging)
     */
    EqualRows(RunLoop.TrainerFactory inner, Path sibling, BooleanSupplier siblingFailed, long seed) {
        this.inner = inner;
        this.sibling = sibling;
        this.siblingFailed = siblingFailed;
        this.seed = seed;
    }

    @Override
    public dev.selftaught.train.TrainerBackend create(dev.selftaught.pipeline.TrainSettings settings, Path roundDir) {
        return job -> {
            Path other = sibling.resolve(roundDir.getFileName());
            awaitAnnotated(other);
            List<String> own = lines(job.data()), theirs = lines(other.resolve(AnnotateStage.SFT));
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("kept", own.size());
            info.put("sibling_kept", theirs.size());
            info.put("sibling", sibling.toString());
            TrainJob use = job;
            if (own.size() > theirs.size() && !theirs.isEmpty()) {
                Path sub = roundDir.resolve("sft-equal.jsonl");
                PipelineIo.writeText(sub, String.join("\n", subsample(own, theirs.size(), seed)) + "\n");
                use = new TrainJob(sub, job.validation(), job.baseModel(), job.outputDir(), job.settings());
            }
            info.put("train_rows", Math.min(own.size(), theirs.isEmpty() ? own.size() : theirs.size()));
            PipelineIo.writeJson(roundDir.resolve("equal-rows.json"), info);
            return inner.create(settings, roundDir).train(use);
        };
    }

    private void awaitAnnotated(Path otherRound) {
        Path done = otherRound.resolve("annotate").resolve(StageMarker.FILE);
        while (!Files.isRegularFile(done)) {
            if (siblingFailed.getAsBoolean()) {
                throw new IllegalStateException("the sibling run stopped before annotating " + otherRound + "; cannot put the runs on equal rows");
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + done, e);
            }
        }
    }

    private static List<String> lines(Path f) {
        try (var s = Files.lines(f)) {
            return s.filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code n} rows, half with each verdict where possible (rows keep their order), chosen with a seeded shuffle. */
    static List<String> subsample(List<String> rows, int n, long seed) {
        List<Integer> a = new ArrayList<>(), b = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) (rows.get(i).lastIndexOf("[[A]]") > rows.get(i).lastIndexOf("[[B]]") ? a : b).add(i);
        SplittableRandom r = new SplittableRandom(seed);
        shuffle(a, r);
        shuffle(b, r);
        int fromA = Math.min(a.size(), Math.max(n / 2, n - b.size()));
        int fromB = Math.min(b.size(), n - fromA);
        List<Integer> pick = new ArrayList<>(a.subList(0, fromA));
        pick.addAll(b.subList(0, fromB));
        pick.sort(null);
        List<String> out = new ArrayList<>(pick.size());
        for (int i : pick) out.add(rows.get(i));
        return out;
    }

    private static void shuffle(List<Integer> xs, SplittableRandom r) {
        for (int i = xs.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            Integer t = xs.get(i);
            xs.set(i, xs.get(j));
            xs.set(j, t);
        }
    }
}
