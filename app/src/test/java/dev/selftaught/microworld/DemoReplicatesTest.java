package dev.selftaught.microworld;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.eval.Bootstrap;
import dev.selftaught.pipeline.PipelineIo;
import dev.selftaught.pipeline.RunLoop;
import dev.selftaught.report.RunReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two demo replicates with the scripted models of {@link DemoWiringTest}: seeds differ, the report summarizes both. */
class DemoReplicatesTest {

    @Test
    void replicatesDifferInPoolAndTrainingAndTheReportGivesMeanSdAndTheMeanDifference(@TempDir Path tmp) throws IOException {
        List<Object> trainerSeeds = new ArrayList<>();
        RunLoop.TrainerFactory trainers = (settings, roundDir) -> job -> {
            try {
                trainerSeeds.add(job.settings().get("seed"));
                long rows = Files.lines(job.data()).count();
                Files.createDirectories(job.outputDir());
                return "scripted:" + roundDir.getParent().getParent().getFileName() + "-" + roundDir.getFileName() + "-" + rows
                        + "@" + Math.min(0.95, 0.5 + rows / 100.0);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        };
        Demo.Wiring wiring = new Demo.Wiring(DemoWiringTest.Scripted::new, trainers);
        DemoPlan plan = new DemoPlan(SeedPretrainerTest.micro(), 60, 6, 3, 3, 3, 16, 80, Map.of("epochs", 1, "seed", 1));
        Path out = tmp.resolve("demo");
        var log = new PrintStream(new ByteArrayOutputStream(), true);
        RunReport r = DemoReplicates.run(2, out, k -> new Demo(plan, 1, out.resolve("replicate-" + k), wiring, log).withReplicate(k)
                        .withFreshBenchmark(0x51L), "scripted:seed@0.3", log);

        // Independent replicates: other pools, other trainer seeds; the same benchmark.
        assertNotEquals(Files.readString(out.resolve("replicate-1/world/pool.jsonl")), Files.readString(out.resolve("replicate-2/world/pool.jsonl")));
        assertEquals(Files.readString(out.resolve("replicate-1/benchmark/microbench.jsonl")),
                Files.readString(out.resolve("replicate-2/benchmark/microbench.jsonl")));
        assertTrue(trainerSeeds.contains(1) || trainerSeeds.contains(1L), trainerSeeds.toString());
        assertTrue(trainerSeeds.contains(2L) || trainerSeeds.contains(2), trainerSeeds.toString());

        assertEquals(2, r.replicates().size());
        RunReport.Row seed = r.rounds().get(0), round1 = r.rounds().get(1);
        // The seed model, greedy, same benchmark and order: identical in both replicates, sd 0.
        assertEquals(0.0, seed.sd().get("Overall"), 1e-12);
        double m = (r.replicates().get(0).rounds().get(1).overall() + r.replicates().get(1).rounds().get(1).overall()) / 2;
        assertEquals(m, round1.overall(), 1e-12);
        double a = r.replicates().get(0).rounds().get(1).overall(), b = r.replicates().get(1).rounds().get(1).overall();
        assertEquals(Math.abs(a - b) / Math.sqrt(2), round1.sd().get("Overall"), 1e-12);
        // The mean difference from the seed, with its two-level interval around it.
        RunReport.Delta d = round1.vsSeed().get("Overall");
        assertEquals(m - seed.overall(), d.diff(), 1e-9);
        assertTrue(d.ci().lo() <= d.diff() && d.diff() <= d.ci().hi(), d.toString());
        assertEquals(3, r.baselines().size());
        assertTrue(r.baselines().stream().allMatch(x -> x.vsSeed().containsKey("Overall") && x.sd().containsKey("Overall")));

        JsonNode j = PipelineIo.readJson(out.resolve("report.json"));
        assertEquals(2, j.path("replicates").asInt());
        assertTrue(j.at("/rounds/1/sd/Overall").isNumber() && j.at("/rounds/1/vs_seed/Overall/ci").size() == 2, j.toString());
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("mean ± sd over 2 replicates") && md.contains("## Replicate 2"), md);
        String table = Files.readString(out.resolve("table.txt"));
        assertTrue(table.contains("Mean ± sd over 2 replicates") && table.contains("Replicate 2") && table.contains(" ± "), table);
        assertTrue(Files.isRegularFile(out.resolve("charts/accuracy.png")));
        assertTrue(Bootstrap.METHOD.contains("paired"));

        // the fresh benchmark is summarised across replicates like the frozen one: mean, sd, mean difference
        assertTrue(table.contains("The same judges on the fresh benchmark: mean ± sd over 2 replicates")
                && table.contains("Replicate 2, fresh benchmark"), table);
        JsonNode f1 = j.at("/fresh_rounds/1");
        assertTrue(f1.at("/sd/Overall").isNumber() && f1.at("/vs_seed/Overall/ci").size() == 2, j.toString());
        double fa = PipelineIo.readJson(out.resolve("replicate-1/report.json")).at("/rounds/1/fresh_categories/Overall").asDouble();
        double fb = PipelineIo.readJson(out.resolve("replicate-2/report.json")).at("/rounds/1/fresh_categories/Overall").asDouble();
        assertEquals((fa + fb) / 2, f1.at("/categories/Overall").asDouble(), 1e-9);
        assertEquals(Math.abs(fa - fb) / Math.sqrt(2), f1.at("/sd/Overall").asDouble(), 1e-9);
        assertTrue(md.contains("the same judges on the fresh benchmark, 2 replicates"), md);
        assertTrue(Files.readString(out.resolve("report.html")).contains("fresh benchmark, 2 replicates"));
    }
}
