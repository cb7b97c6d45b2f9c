package dev.selftaught.pipeline;

import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.store.CachedModel;
import dev.selftaught.store.RunDirectory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a single-stage command needs: the locked run directory and models opened through the
 * run's call store ({@code RUN/calls.sqlite}), so a stage run alone shares its calls with
 * {@code run} on the same directory.
 */
public final class StageSession implements AutoCloseable {
    private final RunDirectory dir;
    private final ModelOptions options;
    private final boolean retryFailed;
    private final List<LazyModel> opened = new ArrayList<>();

    public StageSession(Path runDir, ModelOptions options, boolean retryFailed) {
        this.dir = RunDirectory.open(runDir);
        this.options = options;
        this.retryFailed = retryFailed;
    }

    public Path dir() { return dir.dir(); }

    /** A lazily opened model behind the call store. */
    public LazyModel model(String spec) {
        LazyModel m = new LazyModel(spec, () -> new CachedModel(ModelFactory.open(spec, options), dir.callStore(), retryFailed));
        opened.add(m);
        return m;
    }

    @Override
    public void close() {
        try {
            for (LazyModel m : opened) m.close();
        } finally {
            dir.close();
        }
    }
}
