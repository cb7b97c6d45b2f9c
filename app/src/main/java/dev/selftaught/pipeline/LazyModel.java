package dev.selftaught.pipeline;

import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.ModelStats;

import java.util.List;
import java.util.function.Supplier;

/**
 * A model opened on its first call. A resumed run walks every stage to check its done marker;
 * with lazy models a finished stage costs no model load (an embedded checkpoint can take seconds
 * to read). {@link #identity()} is the model's spec string (URL user info masked), known without opening it.
 */
public final class LazyModel implements LanguageModel {
    private final String spec;
    private final Supplier<LanguageModel> opener;
    private LanguageModel model;

    public LazyModel(String spec, Supplier<LanguageModel> opener) {
        this.spec = spec;
        this.opener = opener;
    }

    private synchronized LanguageModel model() {
        if (model == null) model = opener.get();
        return model;
    }

    public synchronized boolean isOpen() { return model != null; }

    @Override
    public String identity() { return dev.selftaught.data.UrlUserInfo.redact(spec); } // manifests and markers never hold URL credentials

    @Override
    public ModelResponse complete(ModelRequest request) { return model().complete(request); }

    @Override
    public void completeAll(List<ModelRequest> requests, int concurrency, ResultSink sink) {
        model().completeAll(requests, concurrency, sink);
    }

    @Override
    public synchronized ModelStats stats() { return model == null ? ModelStats.NONE : model.stats(); }

    @Override
    public synchronized void close() {
        if (model != null) model.close();
        model = null;
    }
}
