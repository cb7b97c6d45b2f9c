package dev.selftaught.eval.bench;

import dev.selftaught.eval.PairwiseItem;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * HumanEvalPack (octopack) as the hep-* pairs: the question is the task's natural-language
 * {@code instruction} ("Write a Python function ... to solve the following problem: ..."); the
 * chosen answer is the function written out in full ({@code declaration + canonical_solution}),
 * the rejected one the same function with the injected bug ({@code declaration + buggy_solution}).
 * Both answers thus share the signature and differ only where the bug is.
 */
public final class HumanEvalPackLoader {

    private HumanEvalPackLoader() {}

    public static final List<String> LANGUAGES = List.of("cpp", "go", "java", "js", "python", "rust");

    /** The file of one language in the shared data folder. */
    public static String fileName(String language) {
        return "evaluation_create_humaneval-x_data_" + language + "_data_humanevalpack.jsonl";
    }

    public static Benchmark load(Path file, String language) {
        String subset = "hep-" + language;
        List<PairwiseItem> items = new ArrayList<>();
        for (Json.Located r : Json.readJsonl(file)) {
            String id = Json.text(file, r, "task_id");
            String instruction = Json.text(file, r, "instruction");
            String declaration = Json.text(file, r, "declaration");
            String good = Json.text(file, r, "canonical_solution");
            String bad = Json.text(file, r, "buggy_solution");
            items.add(PairwiseItem.single(subset + "/" + id, instruction, declaration + good, declaration + bad, subset));
        }
        return new Benchmark(subset, items);
    }

    /** All six languages from a HumanEvalPack data directory. */
    public static Benchmark loadAll(Path dir) {
        List<Benchmark> parts = new ArrayList<>();
        for (String lang : LANGUAGES) parts.add(load(dir.resolve(fileName(lang)), lang));
        return Benchmark.concat("hep", parts);
    }
}
