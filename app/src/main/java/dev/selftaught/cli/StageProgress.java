package dev.selftaught.cli;

import dev.selftaught.pipeline.ProgressFactory;

/** The pipeline stages' progress on the shared stderr {@link Progress} line (rate, ETA, errors). */
final class StageProgress {
    private StageProgress() {}

    static final ProgressFactory FACTORY = (label, total) -> {
        Progress p = Progress.onStderr(label, total);
        return new ProgressFactory.Tracker() {
            @Override
            public void advance(boolean error) {
                p.advance(1, 0);
                if (error) p.error(1);
            }

            @Override
            public void close() { p.close(); }
        };
    };
}
