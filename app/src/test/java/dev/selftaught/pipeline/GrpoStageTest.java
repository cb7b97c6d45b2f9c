package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.Json;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.eval.ParseRule;
import dev.selftaught.testing.SharedData;
import dev.selftaught.train.EmbeddedGrpoTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The GRPO train stage: reward, TRL export (with its Python reward file run for real), and a short embedded run on stories260K. */
@ExtendWith(SharedData.class)
class GrpoStageTest {
    static final Path BASE = Path.of(System.getProperty("shared.data", "../../shared/data"), "llama2c_stories260K", "stories260K.bin");

    @TempDir Path dir;

    static final String PAIRS = """
            {"id":"p1","instruction":"Tell a story about a cat.","modified_instruction":"x","chosen":"The cat sat.","rejected":"A dog ran.","method":"m"}
            {"id":"p2","instruction":"Who is Lily?","modified_instruction":"x","chosen":"Lily is a girl.","rejected":"The sun.","method":"m"}
            {"id":"p3","instruction":"What did Tom eat?","modified_instruction":"x","chosen":"Tom ate cake.","rejected":"Tom is tall.","method":"m"}
            """;

    Path pairs() throws Exception {
        Path f = dir.resolve("pairs.jsonl");
        Files.writeString(f, PAIRS);
        return f;
    }

    Path template() throws Exception {
        Path f = dir.resolve("short.txt");
        Files.writeString(f, "Q: {input}\nA: {response_a}\nB: {response_b}\nBetter:");
        return f;
    }

    @Test
    void rewardIsOneForTheGoldVerdictAndTheConsistencyBonusNeedsBothOrders() {
        var reward = GrpoStage.reward(ParseRule.SFT, 0.5);
        // order AB: gold A; order BA: gold B. Sample 0 correct in both orders, sample 1 only in AB, sample 2 contradicts itself.
        double[][] r = reward.score(0, List.of(List.of("so [[A]]", "[[A]] wins", "[[A]] and [[B]]", "nothing"),
                List.of("[[B]].", "[[A]]", "[[B]]", "[[C]]")));
        assertArrayEquals(new double[] {1.5, 1.0, 0.0, 0.0}, r[0]);
        assertArrayEquals(new double[] {1.5, 0.0, 1.0, 0.0}, r[1]);
        double[][] plain = GrpoStage.reward(ParseRule.SFT, 0).score(0, List.of(List.of("[[A]]"), List.of("[[A]]")));
        assertArrayEquals(new double[] {1.0}, plain[0]);
        assertArrayEquals(new double[] {0.0}, plain[1]);
    }

    @Test
    void trlExportHasBothOrdersWithGoldVerdictsAndItsRewardFileParsesAsJavaDoes() throws Exception {
        List<Records.Pair> ps = PipelineIo.readJsonl(pairs(), Records.Pair.class);
        var prompts = dev.selftaught.eval.JudgePrompts.named(template().toString());
        for (ParseRule rule : ParseRule.values()) {
            Path out = dir.resolve("trl-" + rule.cliName());
            GrpoStage.exportTrl(ps, prompts, rule.cliName(), out);
            List<String> lines = Files.readAllLines(out.resolve(GrpoStage.DATASET));
            assertEquals(6, lines.size());
            JsonNode ab = Json.MAPPER.readTree(lines.get(0)), ba = Json.MAPPER.readTree(lines.get(1));
            assertEquals("A", ab.path("gold").asText());
            assertEquals("B", ba.path("gold").asText());
            assertEquals("AB", ab.path("order").asText());
            assertEquals("p1", ba.path("pair_id").asText());
            String userAb = ab.path("prompt").get(0).path("content").asText(), userBa = ba.path("prompt").get(0).path("content").asText();
            assertTrue(userAb.indexOf("The cat sat.") < userAb.indexOf("A dog ran."), userAb);
            assertTrue(userBa.indexOf("A dog ran.") < userBa.indexOf("The cat sat."), userBa);
            // The Python reward file, run by python3: its self-check, then the same verdicts as ParseRule on tricky texts.
            List<String> texts = List.of("[[A]]", "[[B]]", "[[C]]", "[[A]] [[B]]", "[[B]] then [[A]]", "[[a]]", "x [[ [[B]]", "[[C]] [[A]]", "none");
            Path probe = out.resolve("probe.py");
            Files.writeString(probe, "import json, sys\nsys.path.insert(0, sys.argv[1])\nfrom grpo_reward import parse_verdict, judge_reward\n"
                    + "texts = json.loads(sys.argv[2])\nprint(json.dumps([parse_verdict(t) for t in texts]))\n"
                    + "print(json.dumps(judge_reward([[{'role': 'assistant', 'content': t}] for t in texts], ['A'] * len(texts))))\n");
            if (rule == ParseRule.SFT) {
                String outText = python(out, out.resolve(GrpoStage.REWARD_FILE).toString());
                assertTrue(outText.strip().endsWith("ok"), outText);
            }
            String[] got = python(out, probe.toString(), out.toString(), Json.MAPPER.writeValueAsString(texts)).strip().split("\n");
            JsonNode verdicts = Json.MAPPER.readTree(got[0]), rewards = Json.MAPPER.readTree(got[1]);
            for (int i = 0; i < texts.size(); i++) {
                String java = rule.parse(texts.get(i)).jsonName();
                assertEquals(java, verdicts.get(i).asText(), rule + " on '" + texts.get(i) + "'");
                assertEquals(java.equals("A") ? 1.0 : 0.0, rewards.get(i).asDouble(), rule + " reward on '" + texts.get(i) + "'");
            }
        }
    }

    private static String python(Path cwd, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("python3"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void embeddedRunWritesACheckpointStepsChartsAndTheMethodAndIsDoneAfterward() throws Exception {
        Path rd = dir.resolve("round-1");
        Files.createDirectories(rd);
        var annotate = new AnnotateSettings(0, 0.7, 0.9, 0, null, null, null, true, 0, template().toString(), null, false, null, 0, 1);
        Map<String, Object> settings = Map.of("group_size", 3, "pairs_per_step", 2, "epochs", 1, "max_tokens", 6, "threads", 2,
                "lr", 1e-3, "eval_every", 1, "batch_tokens", 1024);
        var train = new TrainSettings("embedded", null, null, "previous", null, 0, settings, dev.selftaught.train.TrainMethod.GRPO);
        var val = List.of(new dev.selftaught.eval.PairwiseItem("v1", List.of(dev.selftaught.data.ChatMessage.user("Who ran?")), "Tom ran.", "Blue.", "chat"));
        List<Long> steps = new ArrayList<>();
        EmbeddedGrpoTrainer.Listener listener = new EmbeddedGrpoTrainer.Listener() {
            @Override public void onStep(dev.selftaught.engine.train.GrpoTrainer.Step s) { steps.add(s.step()); }
        };
        String spec = new GrpoStage(train, annotate, val, listener).runInto(rd, pairs(), "embedded:" + BASE, null, false);
        assertEquals("embedded:" + rd.resolve("model"), spec);
        assertEquals(List.of(1L, 2L), steps, "3 pairs / 2 per step");
        JsonNode model = PipelineIo.readJson(rd.resolve("model.json"));
        assertEquals("grpo", model.path("method").asText());
        JsonNode stats = PipelineIo.readJson(rd.resolve("train/stats.json"));
        assertEquals(2, stats.path("steps").asInt());
        assertEquals("grpo", stats.path("method").asText());
        assertEquals(3, stats.path("phases").path("grpo").path("pairs").asInt());
        assertEquals(12, stats.path("samples_per_step").asInt());
        List<String> lines = Files.readAllLines(rd.resolve("train/" + EmbeddedGrpoTrainer.STEPS));
        assertEquals(2, lines.size());
        JsonNode last = Json.MAPPER.readTree(lines.get(1));
        assertTrue(last.path("sampled_tokens").asLong() > 0 && last.has("val_accuracy") && last.has("kl"), lines.get(1));
        for (String png : List.of("grpo-reward.png", "grpo-kl.png")) assertNotNull(ImageIO.read(rd.resolve("train/" + png).toFile()), png);
        // stories260K never writes a verdict marker: every reward is 0, so every advantage is 0, and the KL
        // term's gradient is 0 at the reference: GRPO leaves such a judge exactly as it was.
        for (String l : lines) assertEquals(0.0, Json.MAPPER.readTree(l).path("reward_mean").asDouble(), l);
        LoadedModel trained = ModelLoader.load(rd.resolve("model"));
        LoadedModel base = ModelLoader.load(BASE);
        assertArrayEquals(base.weights().wq[0], trained.weights().wq[0], "no reward signal, no update");
        // Done: the same inputs reuse the result without training again.
        steps.clear();
        assertEquals(spec, new GrpoStage(train, annotate, val, listener).runInto(rd, pairs(), "embedded:" + BASE, null, false));
        assertTrue(steps.isEmpty());
    }

    @Test
    void externalBackendRunsTheCommandOnTheTrlDatasetWithMethodGrpo() throws Exception {
        Path rd = dir.resolve("round-1");
        Files.createDirectories(rd);
        var annotate = new AnnotateSettings(0, 0.7, 0.9, 0, null, null, null, true, 0, template().toString(), null, false, null, 0, 1);
        String cmd = "mkdir -p {output} && cp {data} {output}/seen.jsonl && echo {method} > {output}/method.txt";
        var train = new TrainSettings("external", cmd, null, "previous", null, 0, Map.of(), dev.selftaught.train.TrainMethod.GRPO);
        var backend = new dev.selftaught.train.ExternalCommandTrainer(cmd, null, rd.resolve("train.log"), null);
        String spec = new GrpoStage(train, annotate, null, null).runInto(rd, pairs(), "embedded:/seed", backend, false);
        assertEquals("embedded:" + rd.resolve("model"), spec);
        assertEquals(Files.readString(rd.resolve(GrpoStage.DATASET)), Files.readString(rd.resolve("model/seen.jsonl")));
        assertEquals("grpo", Files.readString(rd.resolve("model/method.txt")).strip());
        assertTrue(Files.isRegularFile(rd.resolve(GrpoStage.REWARD_FILE)));
        assertEquals("grpo", PipelineIo.readJson(rd.resolve("model.json")).path("method").asText());
    }
}
