package dev.selftaught.train;

import java.nio.file.Path;
import java.util.Map;

/**
 * One fine-tuning job, as the pipeline hands it to a trainer backend.
 *
 * @param data        training rows, JSONL: {@code {"messages": [...]}} (last assistant turn is the
 *                    target) or {@code {"prompt": ..., "completion": ...}}
 * @param validation  optional validation rows in the same format, or null
 * @param baseModel   model spec to start from (e.g. {@code embedded:/path/seed})
 * @param outputDir   where the trained checkpoint goes (HF layout for the embedded trainer)
 * @param settings    trainer hyper-parameters by name (lr, epochs, lora_rank, ...), as in the config
 * @param method      the one phase this job runs: {@link TrainMethod#SFT} (data = SFT rows) or
 *                    {@link TrainMethod#DPO} (data = preference pairs; the reference model is {@code baseModel}) or, for
 *                    external commands, {@link TrainMethod#GRPO} (data = the TRL GRPOTrainer dataset)
 */
public record TrainJob(Path data, Path validation, String baseModel, Path outputDir, Map<String, Object> settings,
                       TrainMethod method) {
    public TrainJob {
        settings = settings == null ? Map.of() : Map.copyOf(settings);
        if (method == null) method = TrainMethod.SFT;
        if (method == TrainMethod.SFT_DPO) {
            throw new IllegalArgumentException("a train job runs one phase, sft, dpo or grpo (external: data = grpo.jsonl); got " + method);
        }
    }

    /** An SFT job. */
    public TrainJob(Path data, Path validation, String baseModel, Path outputDir, Map<String, Object> settings) {
        this(data, validation, baseModel, outputDir, settings, TrainMethod.SFT);
    }

    /** This job with other data, keeping everything else (e.g. a subset of the rows). */
    public TrainJob withData(Path other) {
        return new TrainJob(other, validation, baseModel, outputDir, settings, method);
    }
}
