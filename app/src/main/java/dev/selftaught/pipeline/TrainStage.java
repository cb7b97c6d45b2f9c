package dev.selftaught.pipeline;

import dev.selftaught.train.TrainJob;
import dev.selftaught.train.TrainerBackend;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stage 4, once per round: fine-tune from the seed (or the previous round's model) on
 * {@code round-i/sft.jsonl} through the configured {@link TrainerBackend}. Writes
 * {@code round-i/model.json} (the trained model's spec), {@code round-i/train/stats.json} (what became
 * of the rows: the embedded trainer drops or cuts rows longer than the context, never their
 * question, and counts them there) and the done marker in {@code round-i/train}.
 */
public final class TrainStage {
    public static final String RESULT = "model.json";
    /** round-i/train/stats.json: the rows read, and those dropped or cut for being longer than the context. */
    public static final String STATS = "stats.json";

    private final TrainSettings settings;
    private final TrainerBackend backend;

    public TrainStage(TrainSettings settings, TrainerBackend backend) {
        this.settings = settings;
        this.backend = backend;
    }

    /** The job for a round: data = round-i/sft.jsonl, output = round-i/model. */
    public TrainJob job(Path roundDir, String baseModel) {
        Path validation = settings.validation() == null ? null : Path.of(settings.validation());
        return new TrainJob(roundDir.resolve(AnnotateStage.SFT), validation, baseModel, roundDir.resolve("model"),
                settings.settings());
    }

    private static long countRows(Path file) {
        try (var lines = java.nio.file.Files.lines(file)) {
            return lines.filter(l -> !l.isBlank()).count();
        } catch (java.io.IOException e) {
            throw new dev.selftaught.data.InputError(file + ": cannot read the training rows: " + e.getMessage());
        }
    }

    /** Trains (or reuses a finished result) and returns the trained model's spec. */
    public String runInto(Path roundDir, String baseModel, boolean force) {
        return Stage.run(new InDir(roundDir, baseModel), force);
    }

    /** This stage bound to a round directory; its marker lives in round-i/train. */
    private final class InDir implements Stage<String> {
        private final Path roundDir;
        private final String baseModel;
        private final TrainJob job;

        InDir(Path roundDir, String baseModel) {
            this.roundDir = roundDir;
            this.baseModel = baseModel;
            this.job = job(roundDir, baseModel);
        }

        @Override public String name() { return "train"; }
        @Override public Path markerDir() { return roundDir.resolve("train"); }
        @Override public List<String> outputs() { return List.of("../" + RESULT, STATS); }

        @Override
        public Map<String, String> inputs() {
            Map<String, String> inputs = new LinkedHashMap<>();
            inputs.put("data", PipelineIo.sha256(job.data()));
            inputs.put("validation", job.validation() == null ? "" : PipelineIo.sha256(job.validation()));
            inputs.put("base", baseModel);
            inputs.put("settings", PipelineIo.hashOf(settings));
            return inputs;
        }

        @Override
        public String compute() {
            long t0 = System.nanoTime();
            // A round whose annotation kept nothing has nothing to learn from: its model is the base
            // (recorded, so the report shows why), rather than a trainer failing on an empty file.
            long rows = countRows(job.data());
            boolean empty = rows == 0;
            String spec = empty ? baseModel : backend.train(job);
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("rows", rows);
            if (!empty) stats.putAll(backend.lastStats());
            PipelineIo.writeJson(markerDir().resolve(STATS), stats);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("model", spec);
            if (empty) result.put("note", "no training rows in " + job.data().getFileName() + "; the base model is kept");
            result.put("base", baseModel);
            result.put("seconds", (System.nanoTime() - t0) / 1e9);
            PipelineIo.writeJson(roundDir.resolve(RESULT), result);
            return spec;
        }

        @Override
        public String read() {
            return PipelineIo.readJson(roundDir.resolve(RESULT)).path("model").asText();
        }
    }
}
