package dev.selftaught.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ExternalCommandTrainerTest {
    @TempDir Path dir;

    private TrainJob job() throws Exception {
        Path data = dir.resolve("round 1/sft.jsonl"); // a space: placeholders must be quoted
        Files.createDirectories(data.getParent());
        Files.writeString(data, "{\"messages\": []}\n{\"messages\": []}\n");
        return new TrainJob(data, null, "embedded:/models/it's-seed", dir.resolve("round 1/model"), Map.of("lr", "1e-6"));
    }

    @Test
    void fillsPlaceholdersQuotedRunsTheCommandAndCapturesTheLog() throws Exception {
        TrainJob job = job();
        Path log = dir.resolve("round 1/train.log");
        String cmd = "echo training on {data} from {base} lr={setting.lr}; wc -l < {data} > {output}/rows.txt; echo done >&2";
        String spec = new ExternalCommandTrainer(cmd, null, log, null).train(job);
        assertEquals("embedded:" + job.outputDir().toAbsolutePath(), spec);
        assertEquals("2", Files.readString(job.outputDir().resolve("rows.txt")).strip());
        String text = Files.readString(log);
        assertTrue(text.contains("training on " + job.data().toAbsolutePath() + " from embedded:/models/it's-seed lr=1e-6"), text);
        assertTrue(text.contains("done"), "stderr captured too: " + text);
        assertTrue(text.contains("[exit code 0]"), text);
    }

    @Test
    void aFailingCommandStopsWithItsExitCodeAndLogTail() throws Exception {
        TrainJob job = job();
        Path log = dir.resolve("train.log");
        String cmd = "for i in 1 2 3 4 5; do echo step $i; done; echo 'CUDA out of memory' >&2; exit 3";
        var e = assertThrows(ExternalCommandTrainer.TrainingFailed.class,
                () -> new ExternalCommandTrainer(cmd, "http://localhost:8000/v1#{output}", log, null).train(job));
        assertTrue(e.getMessage().contains("code 3"), e.getMessage());
        assertTrue(e.getMessage().contains("CUDA out of memory"), e.getMessage());
        assertTrue(e.getMessage().contains("step 5"), e.getMessage());
    }

    @Test
    void resultSpecTemplateAndTimeout() throws Exception {
        TrainJob job = job();
        String spec = new ExternalCommandTrainer("true", "http://localhost:8000/v1#{output}", dir.resolve("a.log"), null).train(job);
        assertEquals("http://localhost:8000/v1#" + job.outputDir().toAbsolutePath(), spec);
        var e = assertThrows(ExternalCommandTrainer.TrainingFailed.class, () ->
                new ExternalCommandTrainer("sleep 5", null, dir.resolve("b.log"), java.time.Duration.ofMillis(300)).train(job));
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
    }
}
