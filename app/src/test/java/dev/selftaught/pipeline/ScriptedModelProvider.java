package dev.selftaught.pipeline;

import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelBackendProvider;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code scripted:NAME@SKILL} through the real ModelFactory (test classpath only), so the CLI's
 * {@code run} can be driven end to end, also in a child JVM. With the system property
 * {@code scripted.calls} every inner call appends one line (its key) to that file, so a test can
 * prove across processes that no call was made twice; {@code scripted.delayMs} slows each call.
 */
public final class ScriptedModelProvider implements ModelBackendProvider {
    @Override
    public String scheme() { return "scripted"; }

    @Override
    public LanguageModel open(String location, ModelOptions options) {
        ScriptedModel m = ScriptedModel.fromSpec("scripted:" + location, new ConcurrentHashMap<>());
        String log = System.getProperty("scripted.calls");
        long delay = Long.getLong("scripted.delayMs", 0);
        return new LanguageModel() {
            @Override public String identity() { return m.identity(); }

            @Override
            public ModelResponse complete(ModelRequest request) {
                if (delay > 0) {
                    try { Thread.sleep(delay); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                }
                ModelResponse r = m.complete(request);
                if (log != null) {
                    String key = m.identity() + " " + Integer.toHexString(request.toString().hashCode()) + " "
                            + request.params().seed() + "\n";
                    synchronized (ScriptedModelProvider.class) {
                        try {
                            Files.writeString(Path.of(log), key, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                                    StandardOpenOption.APPEND);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                }
                return r;
            }
        };
    }
}
