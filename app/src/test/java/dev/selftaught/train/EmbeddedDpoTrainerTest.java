package dev.selftaught.train;

import dev.selftaught.testing.SharedData;
import dev.selftaught.engine.chat.DefaultChatTemplate;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.train.DpoPlan;
import dev.selftaught.engine.train.SftPlan;
import dev.selftaught.engine.train.TrainingModel;
import dev.selftaught.engine.train.Workers;
import dev.selftaught.pipeline.PipelineIo;
import dev.selftaught.pipeline.TrainSettings;
import dev.selftaught.pipeline.TrainStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** DPO(+NLL) end to end on the real stories260K checkpoint: dpo.jsonl as annotate writes it → training → checkpoint. */
@ExtendWith(SharedData.class)
class EmbeddedDpoTrainerTest {
    static final Path BASE = EmbeddedTrainerTest.BASE;

    /** TRL conversational preference rows, the shape of round-i/dpo.jsonl. */
    static final String PAIRS = """
            {"prompt": [{"role": "user", "content": "Which is better, A or B?"}], "chosen": [{"role": "assistant", "content": "The cat was happy. [[A]]"}], "rejected": [{"role": "assistant", "content": "The cat was happy. [[B]]"}]}
            {"prompt": [{"role": "user", "content": "Tom saw a dog. Which answer?"}], "chosen": [{"role": "assistant", "content": "Tom liked it. [[B]]"}], "rejected": [{"role": "assistant", "content": "Tom ran away. [[A]]"}]}
            {"prompt": [{"role": "system", "content": "Judge."}, {"role": "user", "content": "Lily had a ball."}], "chosen": [{"role": "assistant", "content": "Lily played. [[A]]"}], "rejected": [{"role": "assistant", "content": "Lily cried."}]}
            """;

    static Path pairs(Path dir) throws Exception {
        Path f = dir.resolve("dpo.jsonl");
        Files.writeString(f, PAIRS);
        return f;
    }

    /** Mean over the file's pairs of log π(chosen) − log π(rejected) under a model. */
    static double meanLogRatio(Path model, Path data) throws Exception {
        LoadedModel m = ModelLoader.load(model);
        var template = m.chatTemplate() != null ? m.chatTemplate() : DefaultChatTemplate.INSTANCE;
        DpoPlan plan = new DpoPlan(TrainRows.pairs(data, m.tokenizer(), template), 512, 4096, 1, 1, SftPlan.Truncation.DROP);
        double sum = 0;
        int n = 0;
        try (Workers w = new Workers(2)) {
            TrainingModel tm = new TrainingModel(m.weights(), false, null, w);
            for (int i = 0; i < plan.size(); i++) {
                DpoPlan.Batch b = plan.get(i);
                double[] lp = DpoPlan.sequenceLogps(b, tm.tokenLosses(b.tokens()), null);
                for (int k = 0; k < b.size(); k++, n++) sum += lp[2 * k] - lp[2 * k + 1];
            }
        }
        return sum / n;
    }

    @Test
    void fullAndLoraDpoRaiseTheChosenOverTheRejectedAndCacheTheReference(@TempDir Path dir) throws Exception {
        Path data = pairs(dir);
        double before = meanLogRatio(BASE, data);
        for (int rank : new int[] {0, 4}) {
            Path out = dir.resolve("dpo-" + rank);
            EmbeddedTrainer t = new EmbeddedTrainer();
            String spec = t.train(new TrainJob(data, null, "embedded:" + BASE, out,
                    Map.of("epochs", 30, "lr", rank == 0 ? 2e-3 : 1e-2, "warmup", 3, "threads", 2, "batch_tokens", 512,
                            "lora_rank", rank, "beta", 0.5, "nll_scale", 0.5), TrainMethod.DPO));
            assertEquals("embedded:" + out, spec);
            assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
            assertTrue(Files.isRegularFile(out.resolve("train-state").resolve(EmbeddedTrainer.REFERENCE_CACHE)), "reference cached");
            double after = meanLogRatio(out, data);
            assertTrue(after > before + 2, "rank " + rank + ": log π(chosen) − log π(rejected) " + before + " -> " + after);
            @SuppressWarnings("unchecked")
            Map<String, Object> last = (Map<String, Object>) t.lastStats().get("dpo_last_step");
            assertEquals(1.0, ((Number) last.get("reward_accuracy")).doubleValue(), 1e-9, last.toString());
            assertTrue(((Number) last.get("reward_margin")).doubleValue() > 0, last.toString());
            assertEquals(3, ((Number) t.lastStats().get("trained")).intValue());
            assertEquals(0.5, t.lastStats().get("beta"));
            // the same job again resumes the finished state: nothing is trained or recomputed
            long cacheTime = Files.getLastModifiedTime(out.resolve("train-state").resolve(EmbeddedTrainer.REFERENCE_CACHE)).toMillis();
            EmbeddedTrainer again = new EmbeddedTrainer();
            again.train(new TrainJob(data, null, "embedded:" + BASE, out,
                    Map.of("epochs", 30, "lr", rank == 0 ? 2e-3 : 1e-2, "warmup", 3, "threads", 2, "batch_tokens", 512,
                            "lora_rank", rank, "beta", 0.5, "nll_scale", 0.5), TrainMethod.DPO));
            assertTrue(again.lastSummary().resumed());
            assertEquals(t.lastSummary().steps(), again.lastSummary().steps());
            assertEquals(cacheTime, Files.getLastModifiedTime(out.resolve("train-state").resolve(EmbeddedTrainer.REFERENCE_CACHE)).toMillis());
        }
    }

    @Test
    void sftThenDpoInTheTrainStageUsesTheSftResultAsReference(@TempDir Path dir) throws Exception {
        Path rd = dir.resolve("round-1");
        Files.createDirectories(rd);
        pairs(rd);
        Files.writeString(rd.resolve("sft.jsonl"), """
                {"messages": [{"role": "user", "content": "Which is better, A or B?"}, {"role": "assistant", "content": "The cat was happy. [[A]]"}]}
                {"messages": [{"role": "user", "content": "Tom saw a dog. Which answer?"}, {"role": "assistant", "content": "Tom liked it. [[B]]"}]}
                """);
        var s = new TrainSettings("embedded", null, null, "seed", null, 0,
                Map.of("epochs", 4, "lr", 1e-3, "threads", 2, "batch_tokens", 512), TrainMethod.SFT_DPO);
        String spec = new TrainStage(s, new EmbeddedTrainer()).runInto(rd, "embedded:" + BASE, false);
        assertEquals("embedded:" + rd.resolve("model"), spec);
        assertTrue(Files.isRegularFile(rd.resolve(TrainStage.SFT_MODEL).resolve("model.safetensors")), "the SFT phase's model");
        assertTrue(Files.isRegularFile(rd.resolve("model").resolve("model.safetensors")));
        assertTrue(EmbeddedTrainer.referenceIdentity("embedded:" + rd.resolve(TrainStage.SFT_MODEL)).contains(TrainStage.SFT_MODEL));
        var stats = PipelineIo.readJson(rd.resolve("train").resolve(TrainStage.STATS));
        assertEquals("sft+dpo", stats.path("method").asText());
        assertEquals(2, stats.path("phases").path("sft").path("trained").asInt());
        assertEquals(3, stats.path("phases").path("dpo").path("trained").asInt());
        assertTrue(stats.path("phases").path("dpo").has("dpo_last_step"));
        assertEquals("sft+dpo", PipelineIo.readJson(rd.resolve("model.json")).path("method").asText());
    }

    @Test
    void theTrainCommandTrainsDpoAndRefusesRoundMethods(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        var cl = dev.selftaught.cli.Main.commandLine();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream(), std = new java.io.ByteArrayOutputStream();
        cl.setErr(new java.io.PrintWriter(err, true));
        java.io.PrintStream saved = System.out;
        System.setOut(new java.io.PrintStream(std, true));
        try {
            assertEquals(0, cl.execute("train", "--method", "dpo", "--beta", "0.2", "--nll-scale", "0", "--base", BASE.toString(),
                    "--data", pairs(dir).toString(), "--out", out.toString(), "--epochs", "2", "--threads", "1"), err.toString());
        } finally {
            System.setOut(saved);
        }
        assertTrue(std.toString().contains("DPO last step: reward margin") && std.toString().contains("beta 0.2"), std.toString());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
        err.reset();
        assertEquals(2, cl.execute("train", "--method", "sft+dpo", "--base", BASE.toString(), "--data", pairs(dir).toString(),
                "--out", dir.resolve("o2").toString()));
        assertTrue(err.toString().contains("train-round --method"), err.toString());
        err.reset();
        assertEquals(2, cl.execute("train", "--method", "dop", "--base", BASE.toString(), "--data", pairs(dir).toString(),
                "--out", dir.resolve("o3").toString()));
        assertTrue(err.toString().contains("did you mean 'dpo'?"), err.toString());
    }

    @Test
    void dpoRefusesSftRowsAndBadSettingsClearly(@TempDir Path dir) throws Exception {
        Path sft = dir.resolve("sft.jsonl");
        Files.writeString(sft, "{\"prompt\": \"a\", \"completion\": \"b\"}\n");
        var e = assertThrows(dev.selftaught.data.InputError.class, () -> new EmbeddedTrainer().train(
                new TrainJob(sft, null, "embedded:" + BASE, dir.resolve("o"), Map.of(), TrainMethod.DPO)));
        assertTrue(e.getMessage().contains(":1:") && e.getMessage().contains("chosen"), e.getMessage());
        e = assertThrows(dev.selftaught.data.InputError.class, () -> new EmbeddedTrainer().train(
                new TrainJob(pairs(dir), null, "embedded:" + BASE, dir.resolve("o"), Map.of("beta", 0), TrainMethod.DPO)));
        assertTrue(e.getMessage().contains("beta must be > 0"), e.getMessage());
    }
}
