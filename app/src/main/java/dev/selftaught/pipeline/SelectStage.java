package dev.selftaught.pipeline;

import dev.selftaught.data.InputError;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.pipeline.Records.Instruction;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Stage 1: from an instruction pool to {@code select/instructions.jsonl} and
 * {@code select/stats.json}. Order of the filters: extract, normalise, empty, too short, too long,
 * duplicate, (categorise, keep configured categories), seeded sample to max_count.
 */
public final class SelectStage {
    public static final String OUTPUT = "instructions.jsonl";
    public static final String STATS = "stats.json";

    /** The result: kept instructions and a count for every reason a row was dropped. */
    public record Result(List<Instruction> instructions, Map<String, Long> stats) {}

    private static final Pattern TRAILING_SPACE = Pattern.compile("[ \\t\\u00A0]+\\n");
    private static final Pattern MANY_BLANK_LINES = Pattern.compile("\\n{3,}");
    private static final Pattern ANY_SPACE = Pattern.compile("\\s+");
    private static final Pattern CATEGORY_LINE = Pattern.compile("(?i)category\\s*[:=]\\s*\"?([^\"\\n]+?)\"?\\s*$",
            Pattern.MULTILINE);

    private final SelectSettings settings;
    private final LanguageModel categorizer; // null when not categorising
    private final SamplingParams categorizeParams;
    private final int concurrency;
    private final ProgressFactory progress;

    public SelectStage(SelectSettings settings, LanguageModel categorizer, SamplingParams categorizeParams,
                       int concurrency, ProgressFactory progress) {
        if (settings.categorize() && categorizer == null) {
            throw new InputError("select.categorize is on but no categorizer model is configured (set models.categorizer)");
        }
        this.settings = settings;
        this.categorizer = categorizer;
        this.categorizeParams = categorizeParams != null ? categorizeParams : SamplingParams.greedy(32);
        this.concurrency = concurrency;
        this.progress = progress;
    }

    /** The same, with plain progress lines on {@code progress} (null: none). */
    public SelectStage(SelectSettings settings, LanguageModel categorizer, SamplingParams categorizeParams,
                       int concurrency, java.io.PrintStream progress) {
        this(settings, categorizer, categorizeParams, concurrency, ProgressFactory.lines(progress));
    }

    /** Normalises whitespace and Unicode (NFC); keeps line structure and indentation inside lines. */
    public static String normalize(String s) {
        if (s == null) return "";
        String t = Normalizer.normalize(s, Normalizer.Form.NFC).replace("\r\n", "\n").replace('\r', '\n');
        t = TRAILING_SPACE.matcher(t).replaceAll("\n");
        t = MANY_BLANK_LINES.matcher(t).replaceAll("\n\n");
        return t.strip();
    }

    private String dedupKey(String normalized) {
        return settings.dedup().equals("exact") ? normalized
                : ANY_SPACE.matcher(normalized.toLowerCase(Locale.ROOT)).replaceAll(" ");
    }

    public Result run() {
        Map<String, Long> stats = Records.counts("read", "no_instruction", "empty", "too_short", "too_long",
                "duplicate", "category_not_kept", "category_unparsed", "model_error", "sampled_out", "kept");
        List<Instruction> candidates = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        InstructionPool.read(Path.of(settings.pool()), settings.field(), settings.turn(), row -> {
            stats.merge("read", 1L, Long::sum);
            if (row.text() == null) { stats.merge("no_instruction", 1L, Long::sum); return; }
            String x = normalize(row.text());
            if (x.isEmpty()) { stats.merge("empty", 1L, Long::sum); return; }
            int len = x.codePointCount(0, x.length());
            if (len < settings.minChars()) { stats.merge("too_short", 1L, Long::sum); return; }
            if (len > settings.maxChars()) { stats.merge("too_long", 1L, Long::sum); return; }
            if (!seen.add(dedupKey(x))) { stats.merge("duplicate", 1L, Long::sum); return; }
            // The id is a content hash: stable across pool re-orderings and unique after dedup.
            String id = "x-" + PipelineIo.sha256(x).substring(0, 16);
            candidates.add(new Instruction(id, x, row.source(), null));
        });

        List<Instruction> kept = settings.categorize() ? categorize(candidates, stats) : candidates;

        // Deterministic sample: seeded shuffle of the candidates in pool order, first max_count,
        // then back to pool order so the output reads like the pool.
        if (settings.maxCount() > 0 && kept.size() > settings.maxCount()) {
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < kept.size(); i++) idx.add(i);
            Collections.shuffle(idx, new Random(settings.seed()));
            List<Integer> chosen = new ArrayList<>(idx.subList(0, settings.maxCount()));
            Collections.sort(chosen);
            stats.put("sampled_out", (long) (kept.size() - chosen.size()));
            List<Instruction> sample = new ArrayList<>();
            for (int i : chosen) sample.add(kept.get(i));
            kept = sample;
        }
        stats.put("kept", (long) kept.size());
        return new Result(List.copyOf(kept), stats);
    }

    private List<Instruction> categorize(List<Instruction> candidates, Map<String, Long> stats) {
        PromptTemplate t = PromptTemplate.fileOrDefault(settings.categoryPrompt(), "categorize.prompt")
                .requireSlots("categories", "instruction");
        StringBuilder list = new StringBuilder();
        for (String c : settings.categories()) list.append("- ").append(c).append('\n');
        String categories = list.toString().stripTrailing();
        List<ModelRequest> reqs = new ArrayList<>();
        for (Instruction x : candidates) {
            reqs.add(ModelRequest.chat(List.of(ChatMessage.user(
                    t.render(Map.of("categories", categories, "instruction", x.instruction())))), categorizeParams));
        }
        ModelCalls.Answer[] answers = ModelCalls.run("select: categorise", categorizer, reqs, concurrency, progress);
        Set<String> keep = new HashSet<>();
        for (String k : settings.keepCategories()) keep.add(k.toLowerCase(Locale.ROOT));
        List<Instruction> kept = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            if (!answers[i].ok()) { stats.merge("model_error", 1L, Long::sum); continue; }
            String cat = parseCategory(answers[i].response().texts().getFirst(), settings.categories());
            if (cat == null) { stats.merge("category_unparsed", 1L, Long::sum); continue; }
            if (!keep.contains(cat.toLowerCase(Locale.ROOT))) { stats.merge("category_not_kept", 1L, Long::sum); continue; }
            Instruction x = candidates.get(i);
            kept.add(new Instruction(x.id(), x.instruction(), x.source(), cat));
        }
        return kept;
    }

    /**
     * The category named by a model reply: the value of a "Category: NAME" line when it is a known
     * name, else a reply that is exactly a known name; else null. The longest matching name wins so
     * "creative writing" is not read as "writing".
     */
    public static String parseCategory(String reply, List<String> categories) {
        if (reply == null) return null;
        Map<String, String> byLower = new LinkedHashMap<>();
        for (String c : categories) byLower.put(c.toLowerCase(Locale.ROOT), c);
        var m = CATEGORY_LINE.matcher(reply);
        String value = m.find() ? m.group(1) : reply;
        value = value.strip().replaceAll("[.*`'\"]+$", "").replaceAll("^[*`'\"]+", "").strip().toLowerCase(Locale.ROOT);
        if (byLower.containsKey(value)) return byLower.get(value);
        return null;
    }

    /** Runs the stage inside {@code dir} (RUN/select), skipped when its done marker matches. */
    public Result runInto(Path dir, String modelIdentity, boolean force) {
        return Stage.run(new InDir(dir, modelIdentity), force);
    }

    /** This stage bound to its directory: inputs = the pool's content, the settings, the categoriser. */
    private final class InDir implements Stage<Result> {
        private final Path dir;
        private final String modelIdentity;

        InDir(Path dir, String modelIdentity) {
            this.dir = dir;
            this.modelIdentity = modelIdentity;
        }

        @Override public String name() { return "select"; }
        @Override public Path markerDir() { return dir; }
        @Override public Map<String, String> inputs() { return SelectStage.this.inputs(modelIdentity); }
        @Override public List<String> outputs() { return List.of(OUTPUT, STATS); }

        @Override
        public Result compute() {
            Result r = run();
            PipelineIo.writeJsonl(dir.resolve(OUTPUT), r.instructions());
            PipelineIo.writeJson(dir.resolve(STATS), r.stats());
            return r;
        }

        @Override
        public Result read() {
            return new Result(PipelineIo.readJsonl(dir.resolve(OUTPUT), Instruction.class), readStats(dir));
        }
    }

    Map<String, String> inputs(String modelIdentity) {
        Map<String, String> in = new LinkedHashMap<>();
        in.put("pool", PipelineIo.sha256(Path.of(settings.pool())));
        in.put("settings", PipelineIo.hashOf(settings.withPool(null)));
        if (settings.categorize()) {
            in.put("categorizer", modelIdentity == null ? "" : modelIdentity);
            in.put("categorize_params", PipelineIo.hashOf(categorizeParams));
            in.put("category_prompt", PipelineIo.sha256(
                    PromptTemplate.fileOrDefault(settings.categoryPrompt(), "categorize.prompt").text()));
        }
        return in;
    }

    static Map<String, Long> readStats(Path dir) {
        Map<String, Long> m = new LinkedHashMap<>();
        PipelineIo.readJson(dir.resolve(STATS)).properties().forEach(e -> m.put(e.getKey(), e.getValue().asLong()));
        return m;
    }
}
