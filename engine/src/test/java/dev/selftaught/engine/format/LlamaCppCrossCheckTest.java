package dev.selftaught.engine.format;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import dev.selftaught.engine.format.gguf.GgufCheckpoint;
import dev.selftaught.engine.model.LoadedModel;
import dev.selftaught.engine.model.ModelLoader;
import dev.selftaught.engine.testutil.Stories260K;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * llama.cpp (through the de.kherud:llama JNI binding, tests only) as an independent engine: the
 * GGUF our writer makes from stories260K must tokenize the prompt like our tokenizer and produce,
 * greedily, the same continuation as our engine.
 */
class LlamaCppCrossCheckTest {
    @TempDir Path tmp;

    @Test
    void llamaCppGeneratesTheSameGreedyTextFromOurGguf() throws Exception {
        LoadedModel ours = ModelLoader.load(Stories260K.checkpoint());
        Path gguf = tmp.resolve("stories260K-f32.gguf");
        GgufCheckpoint.write(gguf, ours.weights(), ours.tokenizer(), null, GgufCheckpoint.Precision.F32, "stories260K");

        // The binding deletes every llama*/jllama* file in its temp dir when it loads: give it its own.
        Path libDir = Files.createDirectories(tmp.resolve("jllama-lib"));
        System.setProperty("de.kherud.llama.tmpdir", libDir.toString());

        String prompt = "Once upon a time";
        int steps = 30;
        int[] promptIds = ours.tokenizer().encode(prompt, true);
        // Our engine: greedy from BOS + prompt.
        int[] all = Arrays.copyOf(promptIds, promptIds.length + steps);
        int[] continuation = greedyContinuation(ours, promptIds, steps);
        System.arraycopy(continuation, 0, all, promptIds.length, steps);
        String ourText = ours.tokenizer().decode(Arrays.copyOfRange(all, promptIds.length, all.length));

        try (LlamaModel model = new LlamaModel(new ModelParameters().setModel(gguf.toString()).setCtxSize(256).setThreads(1)
                .setThreadsBatch(1).setBatchSize(64).setUbatchSize(64).setSeed(1))) {
            int[] cppIds = model.encode(prompt);
            int[] oursNoBos = Arrays.copyOfRange(promptIds, 1, promptIds.length);
            int[] cppNoBos = cppIds.length > 0 && cppIds[0] == ours.tokenizer().bos() ? Arrays.copyOfRange(cppIds, 1, cppIds.length) : cppIds;
            assertArrayEquals(oursNoBos, cppNoBos, "llama.cpp tokenizes the prompt as we do");
            String cppText = model.complete(new InferenceParameters(prompt).setTemperature(0f).setTopK(1).setRepeatPenalty(1f)
                    .setNPredict(steps).setSeed(1).setCachePrompt(false));
            assertEquals(ourText, cppText, "greedy continuation of '" + prompt + "'");
        }
    }

    private static int[] greedyContinuation(LoadedModel m, int[] prompt, int steps) {
        try (var team = new dev.selftaught.engine.kernel.ThreadTeam(1)) {
            var t = new dev.selftaught.engine.infer.Transformer(m.weights(), 1, team);
            int slot = t.cache().allocate(prompt.length + steps + 1);
            int v = m.config().vocabSize();
            int[] out = new int[steps];
            int pos = 0, next = -1;
            for (int tok : prompt) { next = step(t, slot, tok, pos++, v); }
            for (int i = 0; i < steps; i++) {
                out[i] = next;
                next = step(t, slot, next, pos++, v);
            }
            return out;
        }
    }

    private static int step(dev.selftaught.engine.infer.Transformer t, int slot, int tok, int pos, int v) {
        t.forward(1, new int[] {slot}, new int[] {tok}, new int[] {pos}, new int[] {0}, 1);
        float[] l = t.logits();
        int best = 0;
        for (int i = 1; i < v; i++) if (l[i] > l[best]) best = i;
        return best;
    }
}
