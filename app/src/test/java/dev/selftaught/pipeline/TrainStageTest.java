package dev.selftaught.pipeline;

import dev.selftaught.train.TrainJob;
import dev.selftaught.train.TrainerBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TrainStageTest {
    @TempDir Path dir;

    final List<TrainJob> jobs = new ArrayList<>();
    final TrainerBackend recorder = job -> {
        jobs.add(job);
        return "embedded:" + job.outputDir();
    };

    @Test
    void buildsTheJobFromTheRoundAndSkipsWhenDone() throws Exception {
        Path rd = dir.resolve("round-2");
        Files.createDirectories(rd);
        Files.writeString(rd.resolve("sft.jsonl"), "{\"messages\": []}\n");
        var s = new TrainSettings("embedded", null, null, "seed", null, 0, Map.of("lr", 1e-6));
        String spec = new TrainStage(s, recorder).runInto(rd, "embedded:/seed", false);
        assertEquals("embedded:" + rd.resolve("model"), spec);
        assertEquals(1, jobs.size());
        TrainJob j = jobs.getFirst();
        assertEquals(rd.resolve("sft.jsonl"), j.data());
        assertEquals("embedded:/seed", j.baseModel());
        assertEquals(rd.resolve("model"), j.outputDir());
        assertEquals(1e-6, j.settings().get("lr"));
        assertEquals(spec, PipelineIo.readJson(rd.resolve("model.json")).path("model").asText());
        // Done: the same inputs do not train again; a different base is an error unless forced.
        assertEquals(spec, new TrainStage(s, recorder).runInto(rd, "embedded:/seed", false));
        assertEquals(1, jobs.size());
        assertThrows(dev.selftaught.data.InputError.class, () -> new TrainStage(s, recorder).runInto(rd, "embedded:/other", false));
        new TrainStage(s, recorder).runInto(rd, "embedded:/other", true);
        assertEquals(2, jobs.size());
    }

    @Test
    void aRoundWithNoKeptExamplesKeepsTheBaseModel() throws Exception {
        Path rd = dir.resolve("round-1");
        Files.createDirectories(rd);
        Files.writeString(rd.resolve("sft.jsonl"), "");
        String spec = new TrainStage(TrainSettings.defaults(), recorder).runInto(rd, "embedded:/seed", false);
        assertEquals("embedded:/seed", spec);
        assertTrue(jobs.isEmpty(), "the trainer is not called on an empty set");
        assertTrue(PipelineIo.readJson(rd.resolve("model.json")).path("note").asText().contains("no training rows"));
    }
}
