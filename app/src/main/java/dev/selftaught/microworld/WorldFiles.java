package dev.selftaught.microworld;

import dev.selftaught.pipeline.PipelineIo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes the micro-world's files for a run: the instruction pool and the benchmark splits. */
public final class WorldFiles {
    /** Generator seed of the instruction pool (a training seed: held-out instructions are skipped). */
    public static final long POOL_SEED = 0x9001L;
    /** Generator seed of the labelled-data baseline's independent pairs (a training seed, like the pool's). */
    public static final long LABELLED_SEED = 0x1AB5L;

    private WorldFiles() {}

    /** {@code n} pool instructions as {@code {id, instruction, source}} rows. */
    public static Path writePool(Path file, int n) {
        return writePool(file, n, POOL_SEED);
    }

    /** {@code n} pool instructions from generator seed {@code seed} (demo replicates use POOL_SEED + k − 1). */
    public static Path writePool(Path file, int n, long seed) {
        List<Map<String, Object>> rows = new ArrayList<>();
        int i = 0;
        for (Problem p : World.distinct(seed, n, Benchmark.heldOutInstructions())) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", String.format("mw-pool-%05d", i++));
            r.put("instruction", p.instruction());
            r.put("source", "microworld/" + p.family().name());
            rows.add(r);
        }
        PipelineIo.writeJsonl(file, rows);
        return file;
    }

    /** A benchmark split as generic pairwise JSONL ({@code id, prompt, chosen, rejected, subset, category}). */
    public static Path writePairs(Path file, List<LabelledPair> pairs) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (LabelledPair p : pairs) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", p.id());
            r.put("prompt", p.prompt());
            r.put("chosen", p.chosen());
            r.put("rejected", p.rejected());
            r.put("subset", p.subset());
            r.put("category", p.category().label());
            rows.add(r);
        }
        PipelineIo.writeJsonl(file, rows);
        return file;
    }

    /** The category of a micro-benchmark subset, or null for another benchmark's subset. */
    public static Category categoryOf(String subset) {
        for (var e : Benchmark.SUBSETS.entrySet()) if (e.getValue().contains(subset)) return e.getKey();
        return null;
    }
}
