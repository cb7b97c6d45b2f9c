package dev.selftaught.eval.bench;

import dev.selftaught.data.InputError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmarks by short name (read from the shared data folder) or by file path. Several names
 * may be joined with commas ({@code llmbar,hep}).
 *
 * <table>
 *   <caption>Short names</caption>
 *   <tr><th>name</th><th>subsets</th><th>source folder</th></tr>
 *   <tr><td>llmbar</td><td>the five RewardBench llmbar-* Chat Hard subsets (419 pairs)</td><td>llmbar</td></tr>
 *   <tr><td>llmbar-natural, llmbar-adver-neighbor, -GPTInst, -GPTOut, -manual</td><td>one of them</td><td>llmbar</td></tr>
 *   <tr><td>mtbench-human</td><td>200 MT-Bench pairs with human-majority labels</td><td>llmbar</td></tr>
 *   <tr><td>faireval, llmeval2</td><td>LLMBar's processed FairEval (66) and LLMEval² (200)</td><td>llmbar</td></tr>
 *   <tr><td>hep</td><td>hep-cpp, -go, -java, -js, -python, -rust (164 each)</td><td>humanevalpack</td></tr>
 *   <tr><td>hep-LANG</td><td>one language</td><td>humanevalpack</td></tr>
 *   <tr><td>xstest</td><td>xstest-should-refuse, xstest-should-respond</td><td>xstest</td></tr>
 *   <tr><td>hh-harmless</td><td>HH-RLHF harmless-base test, multi-turn</td><td>anthropic_hh</td></tr>
 *   <tr><td>pandalm</td><td>PandaLM test set, annotator majority, ties skipped</td><td>pandalm</td></tr>
 *   <tr><td>helpsteer2:[ATTRIBUTE:]FILE</td><td>HelpSteer2 pairs from a downloaded file (see {@link HelpSteer2Loader})</td><td></td></tr>
 *   <tr><td>FILE</td><td>a pairwise file, or RewardBench 2's published file (recognised by its list-valued chosen; see {@link RewardBench2Loader})</td><td></td></tr>
 *   <tr><td>rewardbench-local</td><td>every RewardBench subset rebuildable from local files: llmbar + hep + xstest</td><td></td></tr>
 * </table>
 */
public final class Benchmarks {

    private Benchmarks() {}

    /** Short names and what they load (for --help and error messages). */
    public static final Map<String, String> NAMES = names();

    /**
     * Loads a benchmark. {@code spec} is a short name, a comma-separated list of them, or a path
     * to a pairwise file (JSONL, JSON, Parquet). {@code dataDir} is the shared data folder.
     */
    public static Benchmark load(String spec, Path dataDir) {
        if (spec.contains(",")) {
            List<Benchmark> parts = new ArrayList<>();
            for (String s : spec.split(",")) if (!s.isBlank()) parts.add(load(s.trim(), dataDir));
            return Benchmark.concat(spec, parts);
        }
        if (spec.startsWith("helpsteer2:")) {
            // helpsteer2:FILE or helpsteer2:ATTRIBUTE:FILE
            String rest = spec.substring("helpsteer2:".length());
            int colon = rest.indexOf(':');
            String attr = "helpfulness";
            if (colon > 0 && HelpSteer2Loader.ATTRIBUTES.contains(rest.substring(0, colon))) {
                attr = rest.substring(0, colon);
                rest = rest.substring(colon + 1);
            }
            Benchmark b = HelpSteer2Loader.load(Path.of(rest), attr);
            return new Benchmark(spec, b.items(), b.skipped());
        }
        Path asFile = Path.of(spec);
        if (!NAMES.containsKey(spec) && (Files.exists(asFile) || spec.contains("/") || spec.contains("."))) {
            if (Files.isRegularFile(asFile) && RewardBench2Loader.looksLikeRewardBench2(asFile)) return RewardBench2Loader.load(asFile);
            return PairwiseFileLoader.load(asFile);
        }
        Benchmark b = loadNamed(spec, dataDir);
        return new Benchmark(spec, b.items(), b.skipped());
    }

    private static Benchmark loadNamed(String name, Path data) {
        Path llmbar = dir(data, "llmbar"), hep = data.resolve("humanevalpack");
        for (String[] s : LlmBarLoader.REWARDBENCH_SUBSETS) {
            if (s[0].equals(name)) return LlmBarLoader.load(dir(data, "llmbar").resolve(s[1]), s[0]);
        }
        if (name.startsWith("hep-") && HumanEvalPackLoader.LANGUAGES.contains(name.substring(4))) {
            String lang = name.substring(4);
            return HumanEvalPackLoader.load(dir(data, "humanevalpack").resolve(HumanEvalPackLoader.fileName(lang)), lang);
        }
        return switch (name) {
            case "llmbar" -> LlmBarLoader.loadRewardBenchSubsets(llmbar);
            case "mtbench-human" -> LlmBarLoader.load(llmbar.resolve(LlmBarLoader.MTBENCH_HUMAN_FILE), "mtbench-human");
            case "faireval" -> LlmBarLoader.load(llmbar.resolve("Dataset_Processed_FairEval_dataset.json"), "faireval");
            case "llmeval2" -> LlmBarLoader.load(llmbar.resolve("Dataset_Processed_LLMEval^2_dataset.json"), "llmeval2");
            case "hep" -> HumanEvalPackLoader.loadAll(dir(data, "humanevalpack"));
            case "xstest" -> XsTestLoader.load(dir(data, "xstest"));
            case "xstest-should-refuse", "xstest-should-respond" -> only(XsTestLoader.load(dir(data, "xstest")), name);
            case "hh-harmless" -> HhRlhfLoader.load(dir(data, "anthropic_hh").resolve("harmless-base_test.jsonl.gz"), "hh-harmless");
            case "pandalm" -> PandaLmLoader.load(dir(data, "pandalm").resolve(PandaLmLoader.FILE), "pandalm");
            case "rewardbench-local" -> Benchmark.concat(name, List.of(LlmBarLoader.loadRewardBenchSubsets(llmbar),
                    HumanEvalPackLoader.loadAll(dir(data, "humanevalpack")), XsTestLoader.load(dir(data, "xstest"))));
            default -> throw new InputError("unknown benchmark '" + name + "': give a pairwise file (JSONL, JSON or Parquet) "
                    + "or one of " + String.join(", ", NAMES.keySet()));
        };
    }

    private static Benchmark only(Benchmark b, String subset) {
        return new Benchmark(subset, b.items().stream().filter(i -> i.subset().equals(subset)).toList(),
                Map.of());
    }

    private static Path dir(Path data, String folder) {
        Path d = data.resolve(folder);
        if (!Files.isDirectory(d)) {
            throw new InputError(d + ": benchmark data folder not found; pass --data-dir pointing at the shared data folder "
                    + "(the one holding " + folder + "/), or give a benchmark file instead");
        }
        return d;
    }

    /**
     * The shared data folder: {@code explicit} if given, else the {@code SELFTAUGHT_DATA}
     * environment variable, else the {@code shared.data} system property, else {@code ../shared/data}.
     */
    public static Path dataDir(Path explicit) {
        if (explicit != null) return explicit;
        String env = System.getenv("SELFTAUGHT_DATA");
        if (env != null && !env.isBlank()) return Path.of(env);
        String prop = System.getProperty("shared.data");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        return Path.of("..", "shared", "data");
    }

    private static Map<String, String> names() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("llmbar", "LLMBar: the five RewardBench Chat Hard llmbar-* subsets (419 pairs)");
        for (String[] s : LlmBarLoader.REWARDBENCH_SUBSETS) m.put(s[0], "one LLMBar subset");
        m.put("mtbench-human", "200 MT-Bench pairs with human-majority labels (LLMBar's processed set)");
        m.put("faireval", "FairEval, 66 pairs (LLMBar's processed set)");
        m.put("llmeval2", "LLMEval^2, 200 pairs (LLMBar's processed set)");
        m.put("hep", "HumanEvalPack: hep-cpp/go/java/js/python/rust, 164 pairs each");
        for (String l : HumanEvalPackLoader.LANGUAGES) m.put("hep-" + l, "one HumanEvalPack language");
        m.put("xstest", "XSTest completions as should-refuse / should-respond pairs");
        m.put("xstest-should-refuse", "XSTest unsafe prompts: refusal vs compliance");
        m.put("xstest-should-respond", "XSTest safe prompts: compliance vs refusal");
        m.put("hh-harmless", "HH-RLHF harmless-base test transcripts (multi-turn)");
        m.put("pandalm", "PandaLM test set, majority of 3 annotators, ties skipped");
        m.put("rewardbench-local", "llmbar + hep + xstest: the RewardBench subsets rebuildable from local files");
        return java.util.Collections.unmodifiableMap(m);
    }
}
