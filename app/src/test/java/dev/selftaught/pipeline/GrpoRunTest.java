package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code selftaught run} with {@code train.method: grpo} through the real command line (scripted
 * models, a real external trainer process): every round trains on the run's pairs as the TRL
 * GRPO dataset, round 1 from the seed and round 2 from round 1's judge although {@code train.init}
 * is the default (seed), and the report names the method.
 */
class GrpoRunTest {
    @TempDir Path tmp;

    @Test
    void grpoRoundsContinueFromThePreviousJudgeAndTheReportSaysGrpo() throws Exception {
        StringBuilder pool = new StringBuilder();
        for (int i = 0; i < 6; i++) pool.append("{\"instruction\": \"Compute ").append(i).append(" plus ").append(i + 2).append("\"}\n");
        Files.writeString(tmp.resolve("pool.jsonl"), pool);
        StringBuilder bench = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            bench.append("{\"id\": \"b").append(i).append("\", \"prompt\": \"Q").append(i).append("\", \"chosen\": \"Answer to: Q")
                    .append(i).append("\", \"rejected\": \"Nope ").append(i).append("\", \"subset\": \"llmbar-natural\"}\n");
        }
        Files.writeString(tmp.resolve("bench.jsonl"), bench);
        Path cfg = tmp.resolve("run.yaml");
        Files.writeString(cfg, """
                seed: 3
                iterations: 2
                concurrency: 2
                models:
                  seed: scripted:seed@0.5
                  generator: scripted:gen@1.0
                select: {pool: %s}
                annotate: {samples: 2}
                train:
                  method: grpo
                  backend: external
                  command: "mkdir -p {output} && cp {data} {output}/seen.jsonl && echo {base} {method} > {output}/base.txt"
                  result_spec: "scripted:trained@0.8"
                eval: {benchmarks: [%s]}
                """.formatted(tmp.resolve("pool.jsonl"), tmp.resolve("bench.jsonl")));
        Path run = tmp.resolve("run");
        PipelineCliTest.Out o = PipelineCliTest.run("run", "--config", cfg.toString(), "--run-dir", run.toString());
        assertEquals(0, o.code(), o.err());
        long pairs = Files.readAllLines(run.resolve("pairs/pairs.jsonl")).stream().filter(l -> !l.isBlank()).count();
        assertTrue(pairs > 0);
        for (int r = 1; r <= 2; r++) {
            Path rd = run.resolve("round-" + r);
            assertEquals(2 * pairs, Files.readAllLines(rd.resolve("model/seen.jsonl")).size(), "both orders of every pair, round " + r);
            assertEquals(Files.readString(rd.resolve(GrpoStage.DATASET)), Files.readString(rd.resolve("model/seen.jsonl")));
            assertEquals("grpo", PipelineIo.readJson(rd.resolve("model.json")).path("method").asText());
        }
        assertEquals("scripted:seed@0.5 grpo", Files.readString(run.resolve("round-1/model/base.txt")).strip());
        assertEquals("scripted:trained@0.8 grpo", Files.readString(run.resolve("round-2/model/base.txt")).strip(),
                "round 2 continues from round 1's judge");
        JsonNode report = PipelineIo.readJson(run.resolve("report.json"));
        assertTrue(report.toString().contains("\"method\":\"grpo\""), report.toString());
    }
}
