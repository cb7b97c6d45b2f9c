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

    @Test
    void dpoTrainsOnThePreferencePairsFromTheBaseWhichIsItsReference() throws Exception {
        Path rd = dir.resolve("round-1");
        Files.createDirectories(rd);
        Files.writeString(rd.resolve("sft.jsonl"), "{\"messages\": []}\n");
        Files.writeString(rd.resolve("dpo.jsonl"), "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        var s = new TrainSettings("embedded", null, null, "seed", null, 0, Map.of(), dev.selftaught.train.TrainMethod.DPO);
        String spec = new TrainStage(s, recorder).runInto(rd, "embedded:/seed", false);
        assertEquals(1, jobs.size());
        assertEquals(dev.selftaught.train.TrainMethod.DPO, jobs.getFirst().method());
        assertEquals(rd.resolve("dpo.jsonl"), jobs.getFirst().data());
        assertEquals("embedded:/seed", jobs.getFirst().baseModel());
        assertEquals("embedded:" + rd.resolve("model"), spec);
        assertEquals("dpo", PipelineIo.readJson(rd.resolve("model.json")).path("method").asText());
        assertEquals(dev.selftaught.train.TrainMethod.DPO, TrainStage.methodOf(rd));
        var stats = PipelineIo.readJson(rd.resolve("train").resolve(TrainStage.STATS));
        assertEquals("dpo", stats.path("method").asText());
        assertEquals(1, stats.path("phases").path("dpo").path("rows").asInt());
        // the pairs are an input: new pairs are not silently taken for the old result
        Files.writeString(rd.resolve("dpo.jsonl"), "{\"prompt\": \"p\", \"chosen\": \"b\", \"rejected\": \"a\"}\n");
        assertThrows(dev.selftaught.data.InputError.class, () -> new TrainStage(s, recorder).runInto(rd, "embedded:/seed", false));
    }

    @Test
    void sftThenDpoStartsDpoFromTheSftResult() throws Exception {
        Path rd = dir.resolve("round-1");
        Files.createDirectories(rd);
        Files.writeString(rd.resolve("sft.jsonl"), "{\"messages\": []}\n{\"messages\": []}\n");
        Files.writeString(rd.resolve("dpo.jsonl"), "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        var s = new TrainSettings("embedded", null, null, "seed", null, 0, Map.of(), dev.selftaught.train.TrainMethod.SFT_DPO);
        String spec = new TrainStage(s, recorder).runInto(rd, "embedded:/seed", false);
        assertEquals(2, jobs.size());
        assertEquals(dev.selftaught.train.TrainMethod.SFT, jobs.get(0).method());
        assertEquals(rd.resolve("sft.jsonl"), jobs.get(0).data());
        assertEquals(rd.resolve(TrainStage.SFT_MODEL), jobs.get(0).outputDir());
        assertEquals(dev.selftaught.train.TrainMethod.DPO, jobs.get(1).method());
        assertEquals("embedded:" + rd.resolve(TrainStage.SFT_MODEL), jobs.get(1).baseModel(), "DPO's start and reference = the SFT result");
        assertEquals("embedded:" + rd.resolve("model"), spec);
        var stats = PipelineIo.readJson(rd.resolve("train").resolve(TrainStage.STATS));
        assertEquals(2, stats.path("phases").path("sft").path("rows").asInt());
        assertEquals(1, stats.path("phases").path("dpo").path("rows").asInt());
    }

    @Test
    void dpoWithoutPairsSaysHowToGetThemAndGrpoIsNotSilentlyAnotherMethod() throws Exception {
        Path rd = dir.resolve("round-1");
        Files.createDirectories(rd);
        Files.writeString(rd.resolve("sft.jsonl"), "{\"messages\": []}\n");
        var dpo = new TrainSettings("embedded", null, null, "seed", null, 0, Map.of(), dev.selftaught.train.TrainMethod.DPO);
        var e = assertThrows(dev.selftaught.data.InputError.class, () -> new TrainStage(dpo, recorder).runInto(rd, "embedded:/seed", false));
        assertTrue(e.getMessage().contains("dpo.jsonl") && e.getMessage().contains("annotate.dpo: true"), e.getMessage());
        var grpo = new TrainSettings("embedded", null, null, "seed", null, 0, Map.of(), dev.selftaught.train.TrainMethod.GRPO);
        e = assertThrows(dev.selftaught.data.InputError.class, () -> new TrainStage(grpo, recorder).runInto(rd, "embedded:/seed", false));
        assertTrue(e.getMessage().contains("grpo"), e.getMessage());
        assertTrue(jobs.isEmpty());
        assertFalse(Files.exists(rd.resolve("model.json")));
    }

    static final Path BASE = Path.of(System.getProperty("shared.data", "../../shared/data"), "llama2c_stories260K", "stories260K.bin");

    /** The real embedded trainer on the stories260K checkpoint with rows longer than max_seq_len. */
    @Test
    void overLongRowsAreDroppedOrCutAtTheEndAndCountedInTheStageStats() throws Exception {
        var model = dev.selftaught.engine.load.ModelLoader.load(BASE);
        Path rd = dir.resolve("round-1");
        Files.createDirectories(rd);
        Files.writeString(rd.resolve("sft.jsonl"), """
                {"prompt": "Tom ran.", "completion": " He sat."}
                {"prompt": "Tom ran.", "completion": " He sat down by the big tree and looked at the sky for a long time."}
                """);
        var rows = dev.selftaught.train.TrainRows.read(rd.resolve("sft.jsonl"), model.tokenizer(),
                dev.selftaught.engine.chat.DefaultChatTemplate.INSTANCE);
        int shortLen = rows.get(0).length(), longLen = rows.get(1).length();
        assertTrue(longLen > shortLen + 4 && rows.get(1).prompt().length < shortLen, shortLen + " " + longLen);
        int maxSeq = shortLen - 1; // the short row fits exactly; the long one does not

        var drop = new TrainSettings("embedded", null, null, "seed", null, 0,
                Map.of("max_seq_len", maxSeq, "epochs", 1, "threads", 1, "batch_tokens", 64));
        new TrainStage(drop, new dev.selftaught.train.EmbeddedTrainer()).runInto(rd, "embedded:" + BASE, false);
        var stats = PipelineIo.readJson(rd.resolve("train").resolve(TrainStage.STATS));
        assertEquals(2, stats.path("rows").asInt());
        assertEquals("drop", stats.path("truncation").asText());
        assertEquals(1, stats.path("too_long_dropped").asInt());
        assertEquals(0, stats.path("too_long_cut_at_end").asInt());
        assertEquals(1, stats.path("trained").asInt());
        assertEquals(maxSeq, stats.path("max_seq_len").asInt());
        // the stats file is one of the stage's recorded outputs
        assertTrue(PipelineIo.readJson(rd.resolve("train").resolve("done")).path("outputs").has(TrainStage.STATS));

        var cut = new TrainSettings("embedded", null, null, "seed", null, 0,
                Map.of("max_seq_len", maxSeq, "epochs", 1, "threads", 1, "batch_tokens", 64, "truncation", "cut_end"));
        new TrainStage(cut, new dev.selftaught.train.EmbeddedTrainer()).runInto(rd, "embedded:" + BASE, true);
        stats = PipelineIo.readJson(rd.resolve("train").resolve(TrainStage.STATS));
        assertEquals(0, stats.path("too_long_dropped").asInt());
        assertEquals(1, stats.path("too_long_cut_at_end").asInt());
        assertEquals(2, stats.path("trained").asInt());

        // nothing left to train on: one clear error saying what to change
        var tiny = new TrainSettings("embedded", null, null, "seed", null, 0, Map.of("max_seq_len", 3, "threads", 1));
        var e = assertThrows(dev.selftaught.data.InputError.class,
                () -> new TrainStage(tiny, new dev.selftaught.train.EmbeddedTrainer()).runInto(rd, "embedded:" + BASE, true));
        assertTrue(e.getMessage().contains("all 2 rows are longer than max_seq_len (3 tokens)")
                && e.getMessage().contains("truncation: cut_end"), e.getMessage());
    }

    @Test
    void theEmbeddedTrainerRefusesAMisspeltSettingWithASuggestion() throws Exception {
        Path rd = dir.resolve("round-1");
        Files.createDirectories(rd);
        Files.writeString(rd.resolve("sft.jsonl"), "{\"prompt\": \"a\", \"completion\": \"b\"}\n");
        var s = new TrainSettings("embedded", null, null, "seed", null, 0, Map.of("learning_rat", 1e-3));
        var e = assertThrows(dev.selftaught.data.InputError.class,
                () -> new TrainStage(s, new dev.selftaught.train.EmbeddedTrainer()).runInto(rd, "embedded:" + BASE, false));
        assertEquals("unknown training setting 'learning_rat'; known keys here: " + String.join(", ",
                dev.selftaught.train.EmbeddedTrainSettings.KEYS.stream().sorted().toList()), e.getMessage());
        var s2 = new TrainSettings("embedded", null, null, "seed", null, 0, Map.of("warmpu", 3));
        e = assertThrows(dev.selftaught.data.InputError.class,
                () -> new TrainStage(s2, new dev.selftaught.train.EmbeddedTrainer()).runInto(rd, "embedded:" + BASE, false));
        assertEquals("unknown training setting 'warmpu'; did you mean 'warmup'?", e.getMessage());
        assertFalse(Files.exists(rd.resolve("train").resolve("done")), "nothing marked done");
    }
}
