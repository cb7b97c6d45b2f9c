package dev.selftaught.pipeline;

import dev.selftaught.train.TrainJob;
import dev.selftaught.train.TrainMethod;
import dev.selftaught.train.TrainerBackend;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stage 4, once per round: fine-tune from the seed (or the previous round's model) through the
 * configured {@link TrainerBackend}, by the round's {@link TrainMethod}: SFT on
 * {@code round-i/sft.jsonl}, DPO(+NLL) on {@code round-i/dpo.jsonl}, or SFT then DPO (the SFT result
 * in {@code round-i/model-sft} is DPO's start and reference). Writes {@code round-i/model.json} (the
 * trained model's spec and the method), {@code round-i/train/stats.json} (the method and what became
 * of the rows of each phase: the embedded trainer drops or cuts rows longer than the context, never
 * their question, and counts them there) and the done marker in {@code round-i/train}.
 */
public final class TrainStage {
    public static final String RESULT = "model.json";
    /** round-i/train/stats.json: the method, the rows read, and those dropped or cut for being longer than the context. */
    public static final String STATS = "stats.json";
    /** round-i/model-sft: the SFT phase's result under sft+dpo. */
    public static final String SFT_MODEL = "model-sft";

    private final TrainSettings settings;
    private final TrainerBackend backend;
    private GrpoStage grpo;
    private Path pairsFile;

    public TrainStage(TrainSettings settings, TrainerBackend backend) {
        this.settings = settings;
        this.backend = backend;
    }

    /** train.method grpo: the GRPO trainer and the run's pairs file it trains on. */
    public TrainStage withGrpo(GrpoStage grpo, Path pairsFile) {
        this.grpo = grpo;
        this.pairsFile = pairsFile;
        return this;
    }

    /** The SFT job for a round: data = round-i/sft.jsonl, output = round-i/model. */
    public TrainJob job(Path roundDir, String baseModel) {
        return job(roundDir, TrainMethod.SFT, baseModel, roundDir.resolve("model"));
    }

    /** One phase's job: SFT reads round-i/sft.jsonl, DPO round-i/dpo.jsonl (its reference is {@code baseModel}). */
    TrainJob job(Path roundDir, TrainMethod phase, String baseModel, Path output) {
        Path validation = settings.validation() == null ? null : Path.of(settings.validation());
        Path data = roundDir.resolve(phase == TrainMethod.DPO ? AnnotateStage.DPO : AnnotateStage.SFT);
        return new TrainJob(data, validation, baseModel, output, settings.settings(), phase);
    }

    private static long countRows(Path file) {
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new dev.selftaught.data.InputError(file + ": missing; train.method needs it"
                    + (file.getFileName().toString().equals(AnnotateStage.DPO) ? " (set annotate.dpo: true)" : ""));
        }
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

    /** The method a finished round was trained by (model.json; rounds from before methods existed: sft). */
    public static TrainMethod methodOf(Path roundDir) {
        Path f = roundDir.resolve(RESULT);
        if (!java.nio.file.Files.isRegularFile(f)) return null;
        return TrainMethod.named(PipelineIo.readJson(f).path("method").asText("sft"));
    }

    /** This stage bound to a round directory; its marker lives in round-i/train. */
    private final class InDir implements Stage<String> {
        private final Path roundDir;
        private final String baseModel;
        /** Per phase run: its rows and the backend's stats. */
        private final Map<String, Object> phases = new LinkedHashMap<>();
        private final List<String> notes = new java.util.ArrayList<>();

        InDir(Path roundDir, String baseModel) {
            this.roundDir = roundDir;
            this.baseModel = baseModel;
        }

        @Override public String name() { return "train"; }
        @Override public Path markerDir() { return roundDir.resolve("train"); }
        @Override public List<String> outputs() {
            List<String> o = new java.util.ArrayList<>(List.of("../" + RESULT, STATS));
            if (settings.method() == TrainMethod.GRPO && grpo != null) o.addAll(grpo.outputs());
            return o;
        }

        @Override
        public Map<String, String> inputs() {
            Map<String, String> inputs = new LinkedHashMap<>();
            TrainMethod m = settings.method();
            if (m.usesSft()) inputs.put("data", PipelineIo.sha256(roundDir.resolve(AnnotateStage.SFT)));
            if (m == TrainMethod.GRPO && grpo != null) inputs.putAll(grpo.inputs(pairsFile));
            if (m.usesPreferences()) inputs.put("dpo", PipelineIo.sha256(roundDir.resolve(AnnotateStage.DPO)));
            Path validation = settings.validation() == null ? null : Path.of(settings.validation());
            inputs.put("validation", validation == null ? "" : PipelineIo.sha256(validation));
            inputs.put("base", baseModel);
            inputs.put("settings", PipelineIo.hashOf(settings));
            return inputs;
        }

        /**
         * One phase from {@code from} into {@code output}. A phase whose file holds no rows has
         * nothing to learn from: its result is its start (noted, so the report shows why), rather
         * than a trainer failing on an empty file.
         */
        private String phase(TrainMethod phase, String from, Path output) {
            TrainJob job = job(roundDir, phase, from, output);
            long rows = countRows(job.data());
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("rows", rows);
            phases.put(phase.id(), stats);
            if (rows == 0) {
                notes.add("no training rows in " + job.data().getFileName() + "; " + phase.id() + " kept its start model");
                return from;
            }
            String spec = backend.train(job);
            stats.putAll(backend.lastStats());
            return spec;
        }

        @Override
        public String compute() {
            long t0 = System.nanoTime();
            Path model = roundDir.resolve("model");
            // The one place a method becomes phases; a new method is a new case here.
            String spec = switch (settings.method()) {
                case SFT -> phase(TrainMethod.SFT, baseModel, model);
                case DPO -> phase(TrainMethod.DPO, baseModel, model);
                case SFT_DPO -> phase(TrainMethod.DPO, phase(TrainMethod.SFT, baseModel, roundDir.resolve(SFT_MODEL)), model);
                case GRPO -> {
                    if (grpo == null) throw new dev.selftaught.data.InputError("train.method grpo trains on the run's pairs with its judge prompt; this caller gave neither (TrainStage.withGrpo)");
                    Map<String, Object> st = new LinkedHashMap<>();
                    phases.put(TrainMethod.GRPO.id(), st);
                    yield grpo.train(roundDir, pairsFile, baseModel, backend, st);
                }
            };
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("method", settings.method().id());
            // the last phase's counts at the top (as before methods existed), every phase's under "phases"
            @SuppressWarnings("unchecked")
            Map<String, Object> last = (Map<String, Object>) phases.values().stream().reduce((a, b) -> b).orElse(Map.of());
            stats.putAll(last);
            stats.put("phases", phases);
            PipelineIo.writeJson(markerDir().resolve(STATS), stats);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("model", spec);
            result.put("method", settings.method().id());
            if (!notes.isEmpty()) result.put("note", String.join("; ", notes));
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
