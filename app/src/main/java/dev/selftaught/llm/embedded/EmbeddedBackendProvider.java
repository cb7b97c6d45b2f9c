package dev.selftaught.llm.embedded;

import dev.selftaught.data.InputError;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.model.ModelFormatException;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelBackendProvider;
import dev.selftaught.llm.ModelOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code embedded:PATH}: a checkpoint file, or a directory holding one, run in-process by the
 * pure-Java engine (see docs/engine.md for the formats).
 */
public final class EmbeddedBackendProvider implements ModelBackendProvider {
    @Override
    public String scheme() { return "embedded"; }

    @Override
    public LanguageModel open(String location, ModelOptions options) {
        if (location == null || location.isBlank()) throw new InputError("embedded: needs a path, e.g. embedded:/models/stories260K");
        Path path = Path.of(location);
        if (!Files.exists(path)) throw new InputError("embedded model not found: " + path.toAbsolutePath() + " (give a checkpoint file or its directory)");
        LoadedModel m;
        try {
            m = ModelLoader.load(path);
        } catch (ModelFormatException e) {
            throw new InputError("cannot load embedded model: " + e.getMessage());
        }
        return new EmbeddedModel(m, path, options.threads());
    }
}
