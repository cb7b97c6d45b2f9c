package dev.selftaught.cli;

import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.store.CachedModel;
import dev.selftaught.store.RunDirectory;

import java.nio.file.Path;

/**
 * Opens a judge behind the durable call store of a run directory (locked while in use), so that
 * an interrupted command resumes and a rerun makes no model calls.
 */
final class JudgeModels implements AutoCloseable {
    final RunDirectory run;
    final LanguageModel model;

    JudgeModels(String spec, ModelOptions options, Path runDir, boolean retryFailed) {
        this.run = RunDirectory.open(runDir);
        LanguageModel inner;
        try {
            inner = ModelFactory.open(spec, options);
        } catch (RuntimeException e) {
            run.close();
            throw e;
        }
        this.model = new CachedModel(inner, run.callStore(), retryFailed);
    }

    @Override
    public void close() {
        try {
            model.close();
        } finally {
            run.close();
        }
    }
}
