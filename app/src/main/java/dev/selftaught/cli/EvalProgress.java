package dev.selftaught.cli;

import dev.selftaught.eval.EvalOptions;

/** Feeds the evaluator's (done, total) call counts into the shared stderr {@link Progress} line. */
final class EvalProgress implements EvalOptions.Progress, AutoCloseable {
    private final String label;
    private Progress progress;
    private long last;

    EvalProgress(String label) { this.label = label; }

    @Override
    public synchronized void update(int done, int total) {
        if (progress == null) progress = Progress.onStderr(label + " (judge calls)", total);
        progress.setTotal(total);
        if (done > last) {
            progress.advance(done - last, 0);
            last = done;
        }
    }

    @Override
    public synchronized void close() {
        if (progress != null) progress.close();
    }
}
