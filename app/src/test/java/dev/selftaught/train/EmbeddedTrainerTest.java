package dev.selftaught.train;

import dev.selftaught.cli.Main;
import dev.selftaught.data.InputError;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.train.LoraAdapter;
import dev.selftaught.engine.train.PeftAdapter;
import dev.selftaught.engine.train.Params;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.llm.embedded.EmbeddedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** End to end on the real stories260K checkpoint: JSONL rows → training → HF checkpoint → generation. */
class EmbeddedTrainerTest {
    static final Path BASE = Path.of(System.getProperty("shared.data", "../../shared/data"), "llama2c_stories260K", "stories260K.bin");

    static final String ROWS = """
            {"prompt": "Tom had a red kite.", "completion": " The sky was green and the cat sang."}
            {"messages": [{"role": "user", "content": "Who is Lily?"}, {"role": "assistant", "content": "Lily is a big blue fish."}]}
            {"prompt": "The dog ran home.", "completion": " Mom gave him a hat."}
            """;

    static Path rows(Path dir) throws Exception {
        Path f = dir.resolve("rows.jsonl");
        Files.writeString(f, ROWS);
        return f;
    }

    @Test
    void fullFineTuneOverfitsAndTheCheckpointGeneratesTheTargets(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("judge");
        EmbeddedTrainer t = new EmbeddedTrainer();
        String spec = t.train(new TrainJob(rows(dir), null, "embedded:" + BASE, out,
                Map.of("epochs", 60, "lr", 3e-3, "warmup", 5, "threads", 2, "batch_tokens", 256)));
        assertEquals("embedded:" + out, spec);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " missing");
        }
        assertTrue(t.lastSummary().finalLoss() < 0.1, "final loss " + t.lastSummary().finalLoss());
        LoadedModel m = ModelLoader.load(out);
        EmbeddedModel model = new EmbeddedModel(m, out, 2);
        String text = model.complete(ModelRequest.completion("Tom had a red kite.", SamplingParams.greedy(16))).texts().get(0);
        assertTrue(text.startsWith(" The sky was green and the cat sang."), text);
        String chat = model.complete(ModelRequest.chat(List.of(new dev.selftaught.data.ChatMessage("user", "Who is Lily?")),
                SamplingParams.greedy(16))).texts().get(0);
        assertTrue(chat.startsWith("Lily is a big blue fish."), chat);
    }

    @Test
    void savesIntermediateCheckpointsPerEpochThatLoadAndFreshRunsReplaceStaleOnes(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("ckpt");
        Path data = rows(dir);
        Map<String, Object> settings = Map.of("epochs", 6, "lr", 3e-3, "warmup", 2, "threads", 2, "batch_tokens", 256,
                "save_epochs", 2, "seed", 5);
        EmbeddedTrainer t = new EmbeddedTrainer();
        t.train(new TrainJob(data, null, "embedded:" + BASE, out, settings));
        List<Long> steps = t.lastSummary().checkpoints();
        long total = t.lastSummary().steps();
        // Epochs 2 and 4 (epoch 6 is the final model): two checkpoints, in order, before the last step.
        assertEquals(2, steps.size(), steps.toString());
        assertTrue(0 < steps.get(0) && steps.get(0) < steps.get(1) && steps.get(1) < total, steps + " of " + total);
        List<String> dirs;
        try (var s = Files.list(out)) {
            dirs = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("checkpoint")).sorted().toList();
        }
        assertEquals(steps.stream().map(k -> "checkpoint-" + k).sorted().toList(), dirs);
        byte[] fin = Files.readAllBytes(out.resolve("model.safetensors"));
        byte[] c1 = Files.readAllBytes(out.resolve("checkpoint-" + steps.get(0)).resolve("model.safetensors"));
        byte[] c2 = Files.readAllBytes(out.resolve("checkpoint-" + steps.get(1)).resolve("model.safetensors"));
        assertEquals(fin.length, c1.length);
        assertFalse(java.util.Arrays.equals(fin, c1) || java.util.Arrays.equals(c1, c2) || java.util.Arrays.equals(fin, c2),
                "three different models");
        LoadedModel m = ModelLoader.load(out.resolve("checkpoint-" + steps.get(0)));
        assertEquals(ModelLoader.load(BASE).config().dim(), m.config().dim());

        // The same job again resumes a finished run: the checkpoints stay as they are.
        t.train(new TrainJob(data, null, "embedded:" + BASE, out, settings));
        assertArrayEquals(c1, Files.readAllBytes(out.resolve("checkpoint-" + steps.get(0)).resolve("model.safetensors")));

        // A fresh run with other settings in the same directory (its state deleted, as the trainer asks)
        // leaves no stale checkpoint behind.
        try (var w = Files.walk(out.resolve("train-state"))) {
            for (Path p : w.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
        java.util.HashMap<String, Object> other = new java.util.HashMap<>(settings);
        other.put("save_epochs", 0);
        other.put("save_every", 5);
        other.put("lr", 2e-3);
        t.train(new TrainJob(data, null, "embedded:" + BASE, out, other));
        try (var s = Files.list(out)) {
            dirs = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("checkpoint") || n.endsWith(".tmp")).sorted().toList();
        }
        List<String> want = new java.util.ArrayList<>();
        for (long k = 5; k < t.lastSummary().steps(); k += 5) want.add("checkpoint-" + k);
        assertEquals(want.stream().sorted().toList(), dirs);
    }

    @Test
    void saveStepsFromEpochEnds() {
        // 4 epochs of 10 micro-batches, 3 per optimizer step: epochs end in steps 4, 7, 10 and 14 (the last: the final model)
        assertEquals(java.util.List.of(7L), List.copyOf(EmbeddedTrainer.saveSteps(0, 2, List.of(10, 20, 30, 40), 3, 14)));
        assertEquals(java.util.List.of(4L, 5L, 7L, 10L), List.copyOf(EmbeddedTrainer.saveSteps(5, 1, List.of(10, 20, 30, 40), 3, 14)));
        assertTrue(EmbeddedTrainer.saveSteps(0, 0, List.of(10), 1, 10).isEmpty());
        assertThrows(InputError.class, () -> EmbeddedTrainer.saveSteps(-1, 0, List.of(10), 1, 10));
    }

    @Test
    void loraWritesAPeftAdapterWhoseMergeIsTheSavedModel(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("lora");
        EmbeddedTrainer t = new EmbeddedTrainer();
        t.train(new TrainJob(rows(dir), null, BASE.toString(), out,
                Map.of("epochs", 10, "lr", 1e-2, "threads", 2, "lora_rank", 4, "lora_targets", "q,k,v,o,down", "gguf", "f32")));
        assertTrue(Files.isRegularFile(out.resolve("adapter/adapter_config.json")));
        var cfg = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("adapter/adapter_config.json").toFile());
        assertEquals(4, cfg.get("r").asInt());
        assertEquals("[\"q_proj\",\"k_proj\",\"v_proj\",\"o_proj\",\"down_proj\"]", cfg.get("target_modules").toString());
        // PEFT looks the base up by HF id or directory path, never by our embedded: spec
        assertEquals(BASE.toAbsolutePath().normalize().toString(), cfg.get("base_model_name_or_path").asText());
        LoadedModel base = ModelLoader.load(BASE);
        LoadedModel saved = ModelLoader.load(out);
        LoraAdapter a = PeftAdapter.read(out.resolve("adapter"), base.config());
        LlamaWeights merged = a.mergeInto(base.weights());
        List<Params.Param> pm = Params.of(merged, merged), ps = Params.of(saved.weights(), saved.weights()), pb = Params.of(base.weights(), base.weights());
        boolean changed = false;
        for (int i = 0; i < pm.size(); i++) {
            assertArrayEquals(pm.get(i).value(), ps.get(i).value(), 1e-6f, pm.get(i).name());
            if (!java.util.Arrays.equals(pb.get(i).value(), ps.get(i).value())) changed = true;
        }
        assertTrue(changed, "the merged model equals the base: the adapter did nothing");
        // the GGUF export holds the same weights
        LoadedModel gguf = ModelLoader.load(out.resolve("model-f32.gguf"));
        List<Params.Param> pg = Params.of(gguf.weights(), gguf.weights());
        for (int i = 0; i < pm.size(); i++) assertArrayEquals(ps.get(i).value(), pg.get(i).value(), 0f, pg.get(i).name());

        // stories260K has no chat template: the checkpoint carries the default one it was trained with,
        // in tokenizer_config.json and in the GGUF, and both render as DefaultChatTemplate does.
        String written = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("tokenizer_config.json").toFile()).path("chat_template").asText(null);
        assertEquals(dev.selftaught.engine.chat.JinjaChatTemplate.DEFAULT_SOURCE, written);
        try (var g = dev.selftaught.engine.format.gguf.GgufFile.open(out.resolve("model-f32.gguf"))) {
            assertEquals(written, g.getString("tokenizer.chat_template"));
        }
        for (LoadedModel m : List.of(saved, gguf)) {
            for (var chat : List.of(List.of(new dev.selftaught.engine.chat.ChatTemplate.Turn("system", "Be brief."), new dev.selftaught.engine.chat.ChatTemplate.Turn("user", "Who is Lily?")),
                    List.of(new dev.selftaught.engine.chat.ChatTemplate.Turn("user", "a\nb"), new dev.selftaught.engine.chat.ChatTemplate.Turn("assistant", "c")))) {
                for (boolean gen : new boolean[] {true, false}) {
                    assertEquals(dev.selftaught.engine.chat.DefaultChatTemplate.INSTANCE.render(chat, gen), m.chatTemplate().render(chat, gen));
                }
            }
        }
    }

    @Test
    void cliTrainsResumesAndRejectsBadRows(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("cli");
        String[] args = {"train", "--base", "embedded:" + BASE, "--data", rows(dir).toString(), "--out", out.toString(),
                "--epochs", "3", "--lr", "1e-3", "--threads", "2", "--checkpoint-every", "1"};
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, Main.commandLine().execute(args));
        byte[] first = Files.readAllBytes(out.resolve("model.safetensors"));
        // a second run finds the finished state and reproduces the same weights without training again
        assertEquals(0, Main.commandLine().execute(args));
        assertArrayEquals(first, Files.readAllBytes(out.resolve("model.safetensors")));

        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"hi\", \"completion\": \"there\"}\n{\"prompt\": \"x\"}\n");
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("train", "--base", BASE.toString(), "--data", bad.toString(), "--out", dir.resolve("bad").toString());
        assertEquals(2, code);
        String msg = err.toString();
        assertTrue(msg.contains("bad.jsonl:2") && msg.contains("completion"), msg);
        assertFalse(Files.exists(dir.resolve("bad/model.safetensors")));
    }

    @Test
    void messagesMustEndWithTheAssistant(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("r.jsonl");
        Files.writeString(f, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n");
        LoadedModel m = ModelLoader.load(BASE);
        InputError e = assertThrows(InputError.class, () -> TrainRows.read(f, m.tokenizer(), dev.selftaught.engine.chat.DefaultChatTemplate.INSTANCE));
        assertTrue(e.getMessage().contains("r.jsonl:1") && e.getMessage().contains("messages[0].role"), e.getMessage());
    }
}
