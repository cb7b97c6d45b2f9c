package dev.selftaught.eval;

import dev.selftaught.testing.SharedData;
import org.junit.jupiter.api.extension.ExtendWith;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RewardBench scoring on hand-computed cases and the spec's published numbers. */
class RewardBenchTest {

    @Test
    void itemScores() {
        assertEquals(1.0, RewardBench.itemScore(Verdict.A, true));
        assertEquals(0.0, RewardBench.itemScore(Verdict.B, true));
        assertEquals(1.0, RewardBench.itemScore(Verdict.B, false));
        assertEquals(0.0, RewardBench.itemScore(Verdict.A, false));
        assertEquals(0.5, RewardBench.itemScore(Verdict.NONE, true));
        assertEquals(0.5, RewardBench.itemScore(Verdict.NONE, false));
        assertEquals(0.5, RewardBench.itemScore(Verdict.TIE, false));
    }

    @Test
    void subsetAccuracyCountsUnparsedAsHalf() {
        // 2 right, 1 wrong, 1 unparsed: (1 + 1 + 0 + 0.5) / 4
        assertEquals(0.625, RewardBench.accuracy(List.of(1.0, 1.0, 0.0, 0.5)), 1e-12);
    }

    @Test
    void gpt4ByLeaderboardFormula() {
        Map<String, Double> cats = categories(0.953, 0.743, 0.876, 0.869);
        // (2·(95.3+74.3+87.6+86.9) + 70.85) / 9 = 84.34 -> the paper's 84.3; plain mean would be 86.0
        assertEquals(84.3, round1(100 * RewardBench.leaderboard(cats, 0.7085)));
        assertEquals(86.0, round1(100 * RewardBench.overall(cats)));
        // With the leaderboard's own unrounded categories, the spec's 84.33.
        assertEquals(0.8433, RewardBench.leaderboard(categories(0.9525, 0.7434, 0.8757, 0.8692), 0.7085), 5e-5);
    }

    @Test
    void seedRowNeedsPriorSets() {
        Map<String, Double> cats = categories(0.976, 0.589, 0.692, 0.785);
        assertEquals(75.4, round1(100 * RewardBench.leaderboard(cats, 0.7035)));
        assertEquals(76.1, round1(100 * RewardBench.overall(cats)));
    }

    @Test
    void iterationFiveByFourCategoryMean() {
        assertEquals(88.3, round1(100 * RewardBench.overall(categories(0.966, 0.842, 0.915, 0.810))));
    }

    @Test
    void reasoningWeighsMathAndCodeEqually() {
        Map<String, Double> acc = new HashMap<>();
        acc.put("math-prm", 0.60);
        double[] hep = {0.9, 0.8, 0.7, 1.0, 0.5, 0.6}; // mean 0.75
        String[] langs = {"cpp", "go", "java", "js", "python", "rust"};
        for (int i = 0; i < 6; i++) acc.put("hep-" + langs[i], hep[i]);
        double reasoning = RewardBench.categoryScores(acc).get(RewardBench.REASONING);
        assertEquals(0.5 * 0.60 + 0.5 * 0.75, reasoning, 1e-12);
    }

    @Test
    void categoryIsWeightedBySubsetSize() {
        Map<String, Double> acc = new LinkedHashMap<>();
        acc.put("llmbar-natural", 1.0);        // weight 100
        acc.put("llmbar-adver-neighbor", 0.5); // weight 134
        acc.put("pandalm", 0.1);               // not a RewardBench subset: ignored
        var cats = RewardBench.categoryScores(acc);
        assertEquals(List.of(RewardBench.CHAT_HARD), new ArrayList<>(cats.keySet()));
        assertEquals((100 * 1.0 + 134 * 0.5) / 234, cats.get(RewardBench.CHAT_HARD), 1e-12);
        assertEquals(cats.get(RewardBench.CHAT_HARD), RewardBench.overall(cats), 1e-12);
    }

    @ExtendWith(SharedData.class)
    @Test
    void embeddedConstantsMatchTheSharedMetadataFile() throws Exception {
        Path meta = Path.of(System.getProperty("shared.data"), "rewardbench_meta", "rewardbench_subsets.json");
        JsonNode root = new ObjectMapper().readTree(meta.toFile());
        JsonNode mapping = root.get("subset_mapping");
        assertEquals(4, mapping.size());
        int subsets = 0;
        for (var e : mapping.properties()) {
            List<String> fromFile = new ArrayList<>();
            e.getValue().forEach(n -> fromFile.add(n.asText()));
            assertEquals(fromFile, RewardBench.CATEGORIES.get(e.getKey()), e.getKey());
            subsets += fromFile.size();
        }
        assertEquals(23, subsets);
        JsonNode w = root.get("example_counts_used_as_weights");
        assertEquals(w.size(), RewardBench.WEIGHTS.size());
        for (var e : w.properties()) assertEquals(e.getValue().asInt(), RewardBench.WEIGHTS.get(e.getKey()), e.getKey());
        assertEquals(984, RewardBench.WEIGHTS.get("math-prm"));
        assertTrue(RewardBench.categoryOf("hep-go").isPresent());
    }

    private static Map<String, Double> categories(double chat, double hard, double safety, double reasoning) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(RewardBench.CHAT, chat);
        m.put(RewardBench.CHAT_HARD, hard);
        m.put(RewardBench.SAFETY, safety);
        m.put(RewardBench.REASONING, reasoning);
        return m;
    }

    private static double round1(double x) { return Math.round(x * 10) / 10.0; }
}
