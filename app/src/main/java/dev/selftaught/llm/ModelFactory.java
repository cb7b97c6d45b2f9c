package dev.selftaught.llm;

import dev.selftaught.data.InputError;
import dev.selftaught.llm.http.OpenAiModel;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Opens a {@link LanguageModel} from its spec string (see {@link ModelSpec}). */
public final class ModelFactory {
    private ModelFactory() {}

    public static LanguageModel open(String spec, ModelOptions options) {
        return open(ModelSpec.parse(spec), options);
    }

    public static LanguageModel open(ModelSpec spec, ModelOptions options) {
        return switch (spec) {
            case ModelSpec.Http http -> OpenAiModel.open(http, options);
            case ModelSpec.Provider p -> {
                Map<String, ModelBackendProvider> providers = providers();
                ModelBackendProvider provider = providers.get(p.scheme());
                if (provider == null) {
                    throw new InputError("unknown model scheme '" + p.scheme() + ":'; known: http://, https://"
                            + (providers.isEmpty() ? "" : ", " + String.join(":, ", providers.keySet()) + ":"));
                }
                yield provider.open(p.location(), options);
            }
        };
    }

    /** Backends registered through ServiceLoader, by scheme. */
    public static Map<String, ModelBackendProvider> providers() {
        Map<String, ModelBackendProvider> byScheme = new TreeMap<>();
        for (ModelBackendProvider p : ServiceLoader.load(ModelBackendProvider.class)) byScheme.putIfAbsent(p.scheme(), p);
        return byScheme;
    }
}
