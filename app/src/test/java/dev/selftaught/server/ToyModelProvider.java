package dev.selftaught.server;

import dev.selftaught.data.InputError;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelBackendProvider;
import dev.selftaught.llm.ModelOptions;

/**
 * Test-only backend {@code test-toy:fast} / {@code test-toy:slow=MILLIS}, so command-line tests can
 * serve the {@link ToyModel} through the real ServiceLoader path that ModelFactory uses.
 */
public final class ToyModelProvider implements ModelBackendProvider {
    @Override
    public String scheme() {
        return "test-toy";
    }

    @Override
    public LanguageModel open(String location, ModelOptions options) {
        if (location.equals("fast")) return new ToyModel(true, 0);
        if (location.startsWith("slow=")) return new ToyModel(true, Long.parseLong(location.substring(5)));
        throw new InputError("test-toy: unknown location '" + location + "' (fast or slow=MILLIS)");
    }
}
