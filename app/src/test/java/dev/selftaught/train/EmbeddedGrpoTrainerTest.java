package dev.selftaught.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.data.Json;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Embedded GRPO end to end on the real stories260K checkpoint, with a text reward the model can earn. */
@ExtendWith(SharedData.class)
class EmbeddedGrpoTrainerTest {

    /** Share of letters that are 'e': varies between samples, so the groups carry a signal. */
    static final EmbeddedGrpoTrainer.Scorer E_SHARE = (task, texts) -> {
        double[][] r = new double[texts.size()][];
        for (int p = 0; p < texts.size(); p++) {
            r[p] = new double[texts.get(p).size()];
            for (int k = 0; k < r[p].length; k++) {
                String t = texts.get(p).get(k);
                long letters = t.chars().filter(Character::isLetter).count(), e = t.chars().filter(c -> c == 'e').count();
                r[p][k] = letters == 0 ? 0 : (double) e / letters;
            }
        }
        return r;
    };

    static List<EmbeddedGrpoTrainer.Task> tasks() {
        List<EmbeddedGrpoTrainer.Task> out = new ArrayList<>();
        for (String q : List.of("Tom had a kite.", "Lily saw a fish.", "The dog ran home.", "Mom baked a cake.")) {
            out.add(new EmbeddedGrpoTrainer.Task(List.of(List.of(ChatMessage.user(q)), List.of(ChatMessage.user(q + " Then?")))));
        }
        return out;
    }

    @Test
    void trainsWritesStepsAndAResumedRunKeepsTheFinishedStepsLines(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("g");
        GrpoSettings s = GrpoSettings.from(Map.of("group_size", 4, "pairs_per_step", 2, "epochs", 2, "max_tokens", 8,
                "threads", 2, "lr", 2e-3, "kl_beta", 0.1));
        List<Long> seen = new ArrayList<>();
        EmbeddedGrpoTrainer t = new EmbeddedGrpoTrainer(new EmbeddedGrpoTrainer.Listener() {
            @Override public void onStep(dev.selftaught.engine.train.GrpoTrainer.Step st) {
                seen.add(st.step());
                if (st.step() == 3 && seen.size() == 3) throw new IllegalStateException("killed after step 3");
            }
        });
        assertThrows(IllegalStateException.class, () -> t.train(tasks(), E_SHARE, null, null, "embedded:" + EmbeddedTrainerTest.BASE, out, s));
        assertEquals(3, Files.readAllLines(out.resolve(EmbeddedGrpoTrainer.STEPS)).size());
        String spec = t.train(tasks(), E_SHARE, null, null, "embedded:" + EmbeddedTrainerTest.BASE, out, s);
        assertEquals("embedded:" + out, spec);
        assertEquals(List.of(1L, 2L, 3L, 4L), seen, "the resumed run does step 4 only");
        assertTrue(t.lastSummary().resumed());
        List<String> lines = Files.readAllLines(out.resolve(EmbeddedGrpoTrainer.STEPS));
        assertEquals(4, lines.size());
        for (int i = 0; i < 4; i++) assertEquals(i + 1, Json.MAPPER.readTree(lines.get(i)).path("step").asInt());
        JsonNode last = Json.MAPPER.readTree(lines.get(3));
        assertTrue(last.path("kl").asDouble() > 0, "the policy moved from the reference: " + lines.get(3));
        assertTrue(last.path("train_tokens_per_s").asDouble() > 0 && last.path("sample_tokens_per_s").asDouble() > 0);
        LoadedModel trained = ModelLoader.load(out), base = ModelLoader.load(EmbeddedTrainerTest.BASE);
        assertFalse(java.util.Arrays.equals(trained.weights().wq[0], base.weights().wq[0]), "the checkpoint holds the trained weights");
    }

    @Test
    void settingsRefuseUnknownKeysAndBadValues() {
        var e = assertThrows(dev.selftaught.data.InputError.class, () -> GrpoSettings.from(Map.of("group_sise", 4)));
        assertTrue(e.getMessage().contains("group_size"), e.getMessage());
        assertThrows(dev.selftaught.data.InputError.class, () -> GrpoSettings.from(Map.of("group_size", 1)));
        assertThrows(dev.selftaught.data.InputError.class, () -> GrpoSettings.from(Map.of("clip", 1.5)));
        assertThrows(dev.selftaught.data.InputError.class, () -> GrpoSettings.from(Map.of("lr", "fast")));
        assertEquals(8, GrpoSettings.from(Map.of()).groupSize());
    }
}
