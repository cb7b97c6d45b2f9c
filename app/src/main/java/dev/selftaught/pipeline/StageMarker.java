package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.InputError;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code done} marker of one stage directory: the hash of everything the stage read (input
 * files, settings, model identities) and the hash of every file it wrote. A stage whose marker
 * matches its current inputs and whose outputs are intact is skipped; a marker for different
 * inputs is an error unless forced, so a finished result is never silently overwritten.
 */
public final class StageMarker {
    public static final String FILE = "done";

    /** What to do with a stage. */
    public enum Decision { SKIP, RUN }

    private StageMarker() {}

    /**
     * @param dir      the stage directory
     * @param stage    the stage name, for messages
     * @param inputs   name → hash of everything that determines the stage's result
     * @param force    recompute even when a marker for other inputs exists
     */
    public static Decision check(Path dir, String stage, Map<String, String> inputs, boolean force) {
        Path marker = dir.resolve(FILE);
        if (!Files.isRegularFile(marker)) return Decision.RUN;
        JsonNode m = PipelineIo.readJson(marker);
        Map<String, String> recorded = new LinkedHashMap<>();
        m.path("inputs").properties().forEach(e -> recorded.put(e.getKey(), e.getValue().asText()));
        if (!recorded.equals(inputs)) {
            if (force) return Decision.RUN;
            StringBuilder changed = new StringBuilder();
            for (String k : union(recorded, inputs)) {
                if (!java.util.Objects.equals(recorded.get(k), inputs.get(k))) {
                    if (!changed.isEmpty()) changed.append(", ");
                    changed.append(k);
                }
            }
            throw new InputError(dir + ": stage '" + stage + "' was already done with different inputs (changed: "
                    + changed + "); use --force to recompute it, or use a new run directory");
        }
        // Inputs match: the stage is done if its outputs are intact.
        for (var e : m.path("outputs").properties()) {
            if (!PipelineIo.sha256(dir.resolve(e.getKey()).normalize()).equals(e.getValue().asText())) {
                return Decision.RUN;
            }
        }
        return Decision.SKIP;
    }

    /** Records the stage as done: written last, after every output is in place. */
    public static void markDone(Path dir, String stage, Map<String, String> inputs, List<String> outputs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stage", stage);
        m.put("finished_at", Instant.now().toString());
        m.put("inputs", new LinkedHashMap<>(inputs));
        Map<String, String> outs = new LinkedHashMap<>();
        for (String o : outputs) {
            // normalize(): "../x" must not depend on the marker directory existing yet
            String h = PipelineIo.sha256(dir.resolve(o).normalize());
            if (h.equals("missing")) throw new IllegalStateException(dir + ": stage '" + stage + "' output " + o + " was not written");
            outs.put(o, h);
        }
        m.put("outputs", outs);
        PipelineIo.writeJson(dir.resolve(FILE), m);
    }

    /** Removes a stage's marker (before recomputing it under --force). */
    public static void clear(Path dir) {
        try {
            Files.deleteIfExists(dir.resolve(FILE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static java.util.Set<String> union(Map<String, String> a, Map<String, String> b) {
        var s = new java.util.TreeSet<>(a.keySet());
        s.addAll(b.keySet());
        return s;
    }
}
