package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.llm.LanguageModel;

import java.nio.file.Path;

/**
 * How the run loop evaluates a judge on one pairwise benchmark (the {@code eval} package's
 * evaluator behind it). The evaluator writes {@code metrics.json} and {@code judgments.jsonl}
 * into {@code outDir} and returns the metrics tree; the loop reads {@code overall} and
 * {@code categories} from it for the report.
 */
public interface JudgeEvaluator {
    JsonNode evaluate(LanguageModel judge, String benchmark, Path outDir);

    /** A hash of the benchmark's content and the evaluation settings, for done markers. */
    String inputsHash(String benchmark);
}
