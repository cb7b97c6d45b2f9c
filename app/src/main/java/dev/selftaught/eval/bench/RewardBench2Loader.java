package dev.selftaught.eval.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.DataRecord;
import dev.selftaught.data.Datasets;
import dev.selftaught.data.InputError;
import dev.selftaught.data.RecordReader;
import dev.selftaught.eval.PairwiseItem;
import dev.selftaught.eval.RewardBench2;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * RewardBench 2 in its published layout ({@code allenai/reward-bench-2}, split {@code test}; the
 * Parquet file or a JSONL/JSON export of it): one record per item with {@code id}, {@code prompt}
 * (string), {@code chosen} (list of strings: one correct answer, several in Ties),
 * {@code rejected} (list of strings, usually three), {@code subset} (Factuality, Precise IF, Math,
 * Safety, Focus, Ties) and optionally {@code num_correct} (= the length of chosen); other fields
 * ({@code models}, {@code total_completions}, ...) are ignored.
 *
 * <p>A pairwise judge sees each item as pairwise comparisons (see {@link RewardBench2}): the
 * first chosen answer against each rejected one; in Ties every answer against every other.
 */
public final class RewardBench2Loader {
    private RewardBench2Loader() {}

    /** Answers per item at most: Ties is judged round robin, so its cost grows with the square. */
    static final int MAX_ANSWERS = 64;

    /** True when the file's first record has the RewardBench 2 shape (chosen as a list, a RewardBench 2 subset). */
    public static boolean looksLikeRewardBench2(Path file) {
        try (RecordReader r = Datasets.read(file, true)) {
            if (!r.hasNext()) return false;
            DataRecord first = r.next();
            return first.has("chosen") && first.node("chosen").isArray() && first.has("subset")
                    && first.node("subset").isTextual() && RewardBench2.SUBSETS.contains(first.node("subset").asText());
        } catch (InputError e) {
            return false;
        }
    }

    public static Benchmark load(Path file) {
        List<PairwiseItem> items = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        try (RecordReader r = Datasets.read(file)) {
            while (r.hasNext()) {
                DataRecord rec = r.next();
                String subset = rec.string("subset");
                if (!RewardBench2.SUBSETS.contains(subset)) {
                    throw rec.error("subset", "'" + subset + "' is not a RewardBench 2 subset (" + String.join(", ", RewardBench2.SUBSETS) + ")");
                }
                JsonNode idNode = rec.node("id");
                if (!idNode.isTextual() && !idNode.isIntegralNumber()) throw rec.error("id", "expected a string or an integer");
                String id = idNode.asText();
                if (subset.equals(RewardBench2.TIES) && !id.matches("(ref|tied):\\d+")) {
                    throw rec.error("id", "Ties items are named ref:N or tied:N, got '" + id + "'");
                }
                if (!ids.add(subset + "\u0000" + id)) throw rec.error("id", "duplicate id '" + id + "' in subset " + subset);
                String prompt = rec.string("prompt");
                List<String> chosen = rec.stringList("chosen"), rejected = rec.stringList("rejected");
                if (chosen.isEmpty()) throw rec.error("chosen", "expected at least one answer");
                if (rejected.isEmpty()) throw rec.error("rejected", "expected at least one answer");
                if (rec.has("num_correct") && rec.integer("num_correct") != chosen.size()) {
                    throw rec.error("num_correct", rec.integer("num_correct") + " but chosen holds " + chosen.size() + " answers");
                }
                int total = chosen.size() + rejected.size();
                if (total > MAX_ANSWERS) throw rec.error("rejected", total + " answers; at most " + MAX_ANSWERS + " per item are judged");
                List<String> answers = new ArrayList<>(chosen);
                answers.addAll(rejected);
                if (subset.equals(RewardBench2.TIES)) {
                    for (int i = 0; i < total; i++) {
                        for (int j = i + 1; j < total; j++) {
                            items.add(PairwiseItem.single(RewardBench2.pairId(id, i, j, chosen.size(), total), prompt, answers.get(i), answers.get(j), subset));
                        }
                    }
                } else {
                    for (int j = chosen.size(); j < total; j++) {
                        items.add(PairwiseItem.single(RewardBench2.pairId(id, 0, j, chosen.size(), total), prompt, answers.getFirst(), answers.get(j), subset));
                    }
                }
            }
        }
        return new Benchmark(file.toString(), items);
    }
}
