package dev.selftaught.pipeline;

import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.pipeline.Records.Instruction;
import dev.selftaught.pipeline.Records.Pair;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stage 2: synthetic preference pairs (x, y_w, y_l), made once and fixed for every iteration.
 * Call 1 answers x (y_w). Call 2, modified-instruction method (spec §2.3): given x and y_w, the
 * model writes x' and a good answer to x' (= y_l) between the spec's markers. Bad-response method
 * (the ablation): given x and y_w, the model writes a worse answer directly.
 */
public final class PairsStage {
    public static final String OUTPUT = "pairs.jsonl";
    public static final String STATS = "stats.json";

    public static final String MODIFIED_MARKER = "[User Question Modified]";
    public static final String ANSWER_START = "[The start of Assistant's answer to the modified instruction]";
    public static final String ANSWER_END = "[The end of Assistant's answer to the modified instruction]";
    public static final String BAD_START = "[The start of the worse answer]";
    public static final String BAD_END = "[The end of the worse answer]";

    public record Result(List<Pair> pairs, Map<String, Long> stats) {}

    /** What call 2's output parsed to: x' and y_l, or the reason it was unusable. */
    public record Parsed(String modifiedInstruction, String rejected, String dropReason) {}

    private final PairsSettings settings;
    private final LanguageModel model;
    private final int concurrency;
    private final ProgressFactory progress;

    public PairsStage(PairsSettings settings, LanguageModel model, int concurrency, ProgressFactory progress) {
        this.settings = settings;
        this.model = model;
        this.concurrency = concurrency;
        this.progress = progress;
    }

    /** The same, with plain progress lines on {@code progress} (null: none). */
    public PairsStage(PairsSettings settings, LanguageModel model, int concurrency, java.io.PrintStream progress) {
        this(settings, model, concurrency, ProgressFactory.lines(progress));
    }

    private PromptTemplate template() {
        return PromptTemplate.fileOrDefault(settings.prompt(),
                settings.method().equals(PairsSettings.MODIFIED) ? "modified_instruction.prompt" : "bad_response.prompt")
                .requireSlots("input", "generation");
    }

    private SamplingParams params(String id, String call) {
        return SamplingParams.sample(settings.temperature(), settings.topP(), settings.maxTokens(), 1,
                PipelineIo.derivedSeed(settings.seed(), id, call));
    }

    public Result run(List<Instruction> instructions) {
        Map<String, Long> stats = Records.counts("instructions", "model_error", "empty_chosen", "missing_modified_marker",
                "missing_answer_marker", "empty_modified_instruction", "empty_rejected", "same_instruction",
                "same_as_chosen", "kept");
        stats.put("instructions", (long) instructions.size());

        // Call 1: y_w for every x.
        List<ModelRequest> first = new ArrayList<>();
        for (Instruction x : instructions) {
            first.add(ModelRequest.chat(List.of(ChatMessage.user(x.instruction())), params(x.id(), "chosen")));
        }
        ModelCalls.Answer[] chosen = ModelCalls.run("pairs: responses (y_w)", model, first, concurrency, progress);

        // Call 2 for those with a usable y_w.
        PromptTemplate t = template();
        List<Integer> live = new ArrayList<>();
        List<ModelRequest> second = new ArrayList<>();
        String[] yw = new String[instructions.size()];
        for (int i = 0; i < instructions.size(); i++) {
            if (!chosen[i].ok()) { stats.merge("model_error", 1L, Long::sum); continue; }
            yw[i] = chosen[i].response().texts().getFirst().strip();
            if (yw[i].isEmpty()) { stats.merge("empty_chosen", 1L, Long::sum); continue; }
            Instruction x = instructions.get(i);
            live.add(i);
            second.add(ModelRequest.chat(List.of(ChatMessage.user(
                    t.render(Map.of("input", x.instruction(), "generation", yw[i])))), params(x.id(), "rejected")));
        }
        String label = settings.method().equals(PairsSettings.MODIFIED) ? "pairs: modified instructions (x', y_l)"
                : "pairs: worse responses (y_l)";
        ModelCalls.Answer[] rejected = ModelCalls.run(label, model, second, concurrency, progress);

        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < live.size(); k++) {
            int i = live.get(k);
            Instruction x = instructions.get(i);
            if (!rejected[k].ok()) { stats.merge("model_error", 1L, Long::sum); continue; }
            String out = rejected[k].response().texts().getFirst();
            Parsed p = settings.method().equals(PairsSettings.MODIFIED)
                    ? parseModified(out, x.instruction()) : parseBad(out, yw[i]);
            if (p.dropReason() != null) { stats.merge(p.dropReason(), 1L, Long::sum); continue; }
            pairs.add(new Pair(x.id(), x.instruction(), p.modifiedInstruction(), yw[i], p.rejected(), settings.method()));
        }
        stats.put("kept", (long) pairs.size());
        return new Result(List.copyOf(pairs), stats);
    }

    /**
     * Parses the modified-instruction output: x' is the text after {@code [User Question Modified]}
     * up to the answer's start marker; y_l is the text between the answer markers. A missing marker,
     * an empty x' or y_l, or x' equal to x (after normalising) drops the pair.
     */
    public static Parsed parseModified(String out, String original) {
        int m = out.indexOf(MODIFIED_MARKER);
        if (m < 0) return new Parsed(null, null, "missing_modified_marker");
        int s = out.indexOf(ANSWER_START, m);
        if (s < 0) return new Parsed(null, null, "missing_answer_marker");
        int e = out.indexOf(ANSWER_END, s + ANSWER_START.length());
        if (e < 0) return new Parsed(null, null, "missing_answer_marker");
        String xp = out.substring(m + MODIFIED_MARKER.length(), s).strip();
        String yl = out.substring(s + ANSWER_START.length(), e).strip();
        if (xp.isEmpty()) return new Parsed(null, null, "empty_modified_instruction");
        if (yl.isEmpty()) return new Parsed(xp, null, "empty_rejected");
        if (SelectStage.normalize(xp).equals(SelectStage.normalize(original))) return new Parsed(xp, yl, "same_instruction");
        return new Parsed(xp, yl, null);
    }

    /** Parses the bad-response output: y_l between the worse-answer markers; dropped if empty or equal to y_w. */
    public static Parsed parseBad(String out, String chosen) {
        int s = out.indexOf(BAD_START);
        if (s < 0) return new Parsed(null, null, "missing_answer_marker");
        int e = out.indexOf(BAD_END, s + BAD_START.length());
        if (e < 0) return new Parsed(null, null, "missing_answer_marker");
        String yl = out.substring(s + BAD_START.length(), e).strip();
        if (yl.isEmpty()) return new Parsed(null, null, "empty_rejected");
        if (SelectStage.normalize(yl).equals(SelectStage.normalize(chosen))) return new Parsed(null, yl, "same_as_chosen");
        return new Parsed(null, yl, null);
    }

    /** Runs the stage inside {@code dir} (RUN/pairs), skipped when its done marker matches. */
    public Result runInto(Path dir, Path instructionsFile, boolean force) {
        return Stage.run(new InDir(dir, instructionsFile), force);
    }

    /** This stage bound to its directory: inputs = the instructions, settings, prompt and generator. */
    private final class InDir implements Stage<Result> {
        private final Path dir;
        private final Path instructionsFile;

        InDir(Path dir, Path instructionsFile) {
            this.dir = dir;
            this.instructionsFile = instructionsFile;
        }

        @Override public String name() { return "pairs"; }
        @Override public Path markerDir() { return dir; }
        @Override public List<String> outputs() { return List.of(OUTPUT, STATS); }

        @Override
        public Map<String, String> inputs() {
            Map<String, String> inputs = new LinkedHashMap<>();
            inputs.put("instructions", PipelineIo.sha256(instructionsFile));
            inputs.put("settings", PipelineIo.hashOf(settings));
            inputs.put("prompt", PipelineIo.sha256(template().text()));
            inputs.put("model", model.identity());
            return inputs;
        }

        @Override
        public Result compute() {
            Result r = run(PipelineIo.readJsonl(instructionsFile, Instruction.class));
            PipelineIo.writeJsonl(dir.resolve(OUTPUT), r.pairs());
            PipelineIo.writeJson(dir.resolve(STATS), r.stats());
            return r;
        }

        @Override
        public Result read() {
            return new Result(PipelineIo.readJsonl(dir.resolve(OUTPUT), Pair.class), SelectStage.readStats(dir));
        }
    }
}
