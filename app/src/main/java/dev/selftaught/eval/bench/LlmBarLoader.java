package dev.selftaught.eval.bench;

import dev.selftaught.data.InputError;
import dev.selftaught.eval.PairwiseItem;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * LLMBar's dataset layout (also used by its processed MT-Bench, FairEval and LLMEval² sets): a
 * JSON array of {@code {input, output_1, output_2, label}} where label 1 or 2 names the better
 * output. The better output becomes {@code chosen}.
 */
public final class LlmBarLoader {

    private LlmBarLoader() {}

    /** The five LLMBar sets that are RewardBench's llmbar-* Chat Hard subsets, by subset name. */
    public static final List<String[]> REWARDBENCH_SUBSETS = List.of(
            new String[]{"llmbar-natural", "Dataset_LLMBar_Natural_dataset.json"},
            new String[]{"llmbar-adver-neighbor", "Dataset_LLMBar_Adversarial_Neighbor_dataset.json"},
            new String[]{"llmbar-adver-GPTInst", "Dataset_LLMBar_Adversarial_GPTInst_dataset.json"},
            new String[]{"llmbar-adver-GPTOut", "Dataset_LLMBar_Adversarial_GPTOut_dataset.json"},
            new String[]{"llmbar-adver-manual", "Dataset_LLMBar_Adversarial_Manual_dataset.json"});

    /** The 200 MT-Bench pairs with a human-majority label, as processed by LLMBar. */
    public static final String MTBENCH_HUMAN_FILE = "Dataset_Processed_MT-Bench_dataset.json";

    public static Benchmark load(Path file, String subset) {
        List<PairwiseItem> items = new ArrayList<>();
        for (Json.Located r : Json.readJsonArray(file)) {
            String input = Json.text(file, r, "input");
            String o1 = Json.text(file, r, "output_1");
            String o2 = Json.text(file, r, "output_2");
            int label = Json.integer(file, r, "label");
            if (label != 1 && label != 2) throw InputError.at(file, r.line(), "label", "expected 1 or 2, got " + label);
            String id = subset + "/" + (r.line() - 1);
            items.add(label == 1 ? PairwiseItem.single(id, input, o1, o2, subset)
                    : PairwiseItem.single(id, input, o2, o1, subset));
        }
        return new Benchmark(subset, items);
    }

    /** All five Chat Hard subsets from an LLMBar data directory. */
    public static Benchmark loadRewardBenchSubsets(Path dir) {
        List<Benchmark> parts = new ArrayList<>();
        for (String[] s : REWARDBENCH_SUBSETS) parts.add(load(dir.resolve(s[1]), s[0]));
        return Benchmark.concat("llmbar", parts);
    }
}
