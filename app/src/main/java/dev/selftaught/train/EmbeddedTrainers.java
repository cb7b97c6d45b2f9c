package dev.selftaught.train;

import dev.selftaught.data.InputError;

import java.util.Map;

/** The embedded (in-process CPU) trainer, as the pipeline's train stage opens it. */
public final class EmbeddedTrainers {
    private EmbeddedTrainers() {}

    public static TrainerBackend create(Map<String, Object> settings) {
        throw new InputError("train.backend 'embedded' is not available in this build yet; "
                + "use train.backend: external with a train.command (see docs/pipeline.md)");
    }
}
