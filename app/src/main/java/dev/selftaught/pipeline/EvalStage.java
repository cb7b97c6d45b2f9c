package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.llm.LanguageModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One judge on one benchmark (a test benchmark, or the validation set when choosing a checkpoint):
 * writes {@code metrics.json} and {@code judgments.jsonl} into its directory. Inputs: the judge's
 * spec and the evaluator's hash of the benchmark and the evaluation settings.
 */
public final class EvalStage implements Stage<JsonNode> {
    public static final String METRICS = "metrics.json";
    public static final String JUDGMENTS = "judgments.jsonl";

    private final JudgeEvaluator evaluator;
    private final String judgeSpec;
    private final Supplier<LanguageModel> judge;
    private final String benchmark;
    private final Path dir;

    /**
     * @param judge opens the judge only when the stage has to compute (a finished evaluation
     *              does not load the model)
     */
    public EvalStage(JudgeEvaluator evaluator, String judgeSpec, Supplier<LanguageModel> judge, String benchmark, Path dir) {
        this.evaluator = evaluator;
        this.judgeSpec = judgeSpec;
        this.judge = judge;
        this.benchmark = benchmark;
        this.dir = dir;
    }

    @Override public String name() { return "eval"; }
    @Override public Path markerDir() { return dir; }

    @Override
    public Map<String, String> inputs() {
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("judge", judgeSpec);
        inputs.put("benchmark", evaluator.inputsHash(benchmark));
        return inputs;
    }

    @Override
    public JsonNode compute() {
        return evaluator.evaluate(judge.get(), benchmark, dir);
    }

    @Override
    public List<String> outputs() {
        List<String> outs = new ArrayList<>(List.of(METRICS));
        if (Files.exists(dir.resolve(JUDGMENTS))) outs.add(JUDGMENTS);
        return outs;
    }

    @Override
    public JsonNode read() {
        return PipelineIo.readJson(dir.resolve(METRICS));
    }
}
