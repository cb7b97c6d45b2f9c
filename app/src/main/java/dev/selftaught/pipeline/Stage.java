package dev.selftaught.pipeline;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One step of the pipeline with declared inputs and outputs: select, pairs, a round's annotate,
 * train, a checkpoint's validation and an evaluation are all stages. A stage says <em>what</em> it
 * depends on ({@link #inputs()}: the hashes of the files it reads, the settings it uses, the
 * identities of the models it calls) and <em>what</em> it writes ({@link #outputs()}); {@link #run}
 * does the rest once for all of them:
 *
 * <ol>
 *   <li>a {@code done} marker in {@link #markerDir()} whose inputs equal the current ones and
 *       whose outputs are intact means the stage is finished: its result is {@link #read() read back};</li>
 *   <li>a marker for <em>other</em> inputs is an error naming the changed inputs (a finished result
 *       is never silently overwritten) unless {@code force};</li>
 *   <li>otherwise the old marker is removed, the stage {@link #compute() computes} (every output is
 *       written atomically, through a temp file and a rename), and the marker, holding the inputs
 *       and the hash of every output, is written last. A run killed mid-stage therefore has no
 *       marker for it and computes it again (model calls come back from the call store).</li>
 * </ol>
 *
 * @param <R> what the stage hands to the next one (a typed result record)
 */
public interface Stage<R> {

    /** The stage's name in markers and messages: select, pairs, annotate, train, validate, eval. */
    String name();

    /** Where the {@code done} marker lives; {@link #outputs()} are relative to it. */
    Path markerDir();

    /** Everything that determines the result, name → hash or identity (recorded in the marker). */
    Map<String, String> inputs();

    /** Computes the result and writes the outputs (atomically, each). */
    R compute();

    /** The files written, relative to {@link #markerDir()}; asked after {@link #compute()}. */
    List<String> outputs();

    /** The result of a finished stage, from its outputs. */
    R read();

    /** Runs {@code stage} unless it is done for the same inputs; see the class comment. */
    static <R> R run(Stage<R> stage, boolean force) {
        Map<String, String> inputs = stage.inputs();
        Path dir = stage.markerDir();
        if (StageMarker.check(dir, stage.name(), inputs, force) == StageMarker.Decision.SKIP) return stage.read();
        StageMarker.clear(dir);
        R result = stage.compute();
        StageMarker.markDone(dir, stage.name(), inputs, stage.outputs());
        return result;
    }
}
