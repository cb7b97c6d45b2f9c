package dev.selftaught.eval.bench;

import dev.selftaught.data.InputError;
import dev.selftaught.eval.PairwiseItem;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HelpSteer2 (nvidia/HelpSteer2, {@code train.jsonl.gz} / {@code validation.jsonl.gz}) as pairs:
 * records {@code prompt, response, helpfulness, correctness, coherence, complexity, verbosity},
 * the two responses to one prompt on consecutive lines. How the method turned the 0–4 ratings into
 * pairs is not published (spec §4.4); our rule: consecutive records with the same prompt form a
 * pair, the response with the higher score on the chosen attribute (default helpfulness) is
 * chosen, equal scores are skipped and counted, and a prompt without a partner is skipped and
 * counted. A pair's prompt containing {@code <extra_id_1>} turn markers is passed as is.
 */
public final class HelpSteer2Loader {

    private HelpSteer2Loader() {}

    public static final List<String> ATTRIBUTES = List.of("helpfulness", "correctness", "coherence", "complexity", "verbosity");

    public static Benchmark load(Path file, String attribute) {
        String attr = attribute.toLowerCase(Locale.ROOT);
        if (!ATTRIBUTES.contains(attr)) throw new InputError("HelpSteer2 attribute '" + attribute + "' unknown; use one of " + ATTRIBUTES);
        String subset = "helpsteer2";
        List<Json.Located> rows = file.getFileName().toString().endsWith(".json") ? Json.readJsonArray(file) : Json.readJsonl(file);
        List<PairwiseItem> items = new ArrayList<>();
        Map<String, Integer> skipped = new TreeMap<>();
        int i = 0;
        while (i < rows.size()) {
            Json.Located a = rows.get(i);
            String prompt = Json.text(file, a, "prompt");
            if (i + 1 >= rows.size() || !Json.text(file, rows.get(i + 1), "prompt").equals(prompt)) {
                skipped.merge(subset + ": prompt without a second response", 1, Integer::sum);
                i++;
                continue;
            }
            Json.Located b = rows.get(i + 1);
            int sa = Json.integer(file, a, attr), sb = Json.integer(file, b, attr);
            if (sa == sb) {
                skipped.merge(subset + ": equal " + attr, 1, Integer::sum);
            } else {
                String ra = Json.text(file, a, "response"), rb = Json.text(file, b, "response");
                String id = subset + "/" + (a.line() - 1);
                items.add(sa > sb ? PairwiseItem.single(id, prompt, ra, rb, subset) : PairwiseItem.single(id, prompt, rb, ra, subset));
            }
            i += 2;
        }
        if (items.isEmpty()) throw new InputError(file + ": no HelpSteer2 pairs with different " + attr + " scores");
        return new Benchmark(subset, items, skipped);
    }
}
