package dev.selftaught.eval.bench;

import dev.selftaught.data.InputError;
import dev.selftaught.eval.PairwiseItem;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * PandaLM's human-annotated test set: {@code instruction}, optional {@code input},
 * {@code response1}, {@code response2} and three annotators' labels (0 = tie, 1, 2). The gold
 * label is the majority of the three. Pairs whose majority is a tie (0), or where all three
 * annotators disagree, have no better response and are skipped from the pairwise benchmark;
 * the counts are reported (the MT-Bench "S2" convention: accuracy without ties, chance = 50%).
 * The question shown to the judge is the instruction, followed by a blank line and the input
 * when the input is not empty. A few responses are stored as JSON booleans ({@code true}); they
 * are read as the text "True".
 */
public final class PandaLmLoader {

    private PandaLmLoader() {}

    public static final String FILE = "data_testset-v1.json";

    public static Benchmark load(Path file, String subset) {
        List<PairwiseItem> items = new ArrayList<>();
        Map<String, Integer> skipped = new TreeMap<>();
        for (Json.Located r : Json.readJsonArray(file)) {
            int[] votes = new int[3];
            for (int k = 1; k <= 3; k++) {
                int v = Json.integer(file, r, "annotator" + k);
                if (v < 0 || v > 2) throw InputError.at(file, r.line(), "annotator" + k, "expected 0, 1 or 2, got " + v);
                votes[v]++;
            }
            int majority = -1;
            for (int v = 0; v <= 2; v++) if (votes[v] >= 2) majority = v;
            if (majority == 0) {
                skipped.merge(subset + ": annotator majority is a tie", 1, Integer::sum);
                continue;
            }
            if (majority < 0) {
                skipped.merge(subset + ": three annotators disagree", 1, Integer::sum);
                continue;
            }
            String instruction = Json.text(file, r, "instruction");
            String input = r.node().path("input").asText("");
            String prompt = input.isBlank() ? instruction : instruction + "\n\n" + input;
            String r1 = Json.scalarText(file, r, "response1"), r2 = Json.scalarText(file, r, "response2");
            String id = subset + "/" + r.node().path("idx").asText(String.valueOf(r.line() - 1));
            items.add(majority == 1 ? PairwiseItem.single(id, prompt, r1, r2, subset)
                    : PairwiseItem.single(id, prompt, r2, r1, subset));
        }
        return new Benchmark(subset, items, skipped);
    }
}
