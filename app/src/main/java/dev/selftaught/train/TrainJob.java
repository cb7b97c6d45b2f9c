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
 */
public record TrainJob(Path data, Path validation, String baseModel, Path outputDir, Map<String, Object> settings) {
    public TrainJob {
        settings = settings == null ? Map.of() : Map.copyOf(settings);
    }
}
