package dev.selftaught.engine.format;

import de.kherud.llama.LlamaModel;
import dev.selftaught.engine.format.gguf.GgufCheckpoint;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.engine.train.LoraConfig;
import dev.selftaught.engine.train.Params;
import dev.selftaught.engine.train.SftPlan;
import dev.selftaught.engine.train.TrainOptions;
import dev.selftaught.engine.train.Trainer;
import dev.selftaught.engine.testutil.Greedy;
import dev.selftaught.engine.testutil.LlamaCpp;
import dev.selftaught.engine.testutil.Stories260K;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 4's promise that llama.cpp (and so Ollama) can run a judge we trained: stories260K is
 * fine-tuned on a few (prompt, completion) pairs, fully and with a LoRA adapter merged into the
 * base; the result is exported as GGUF F32 and F16, and llama.cpp (de.kherud:llama, test scope)
 * must continue the trained prompts and a bare BOS greedily with exactly the text our engine
 * produces from the same file.
 */
class FineTunedGgufLlamaCppTest {
    @TempDir Path tmp;

    /** Completions stories260K would never write by itself. */
    static final String[][] PAIRS = {
            {"Tom had a red kite.", " The sky was green and the cat sang."},
            {"The dog ran home.", " Mom gave him a hat."},
            {"Lily saw a big fish.", " It was blue and it could talk."},
    };
    /** Trained prompts plus the empty prompt (BOS only), which the training never saw as such. */
    static final String[] PROMPTS = {PAIRS[0][0], PAIRS[1][0], PAIRS[2][0], ""};
    static final int STEPS = 24;
    /** Smallest top-two logit gap along a compared greedy path (see {@link Greedy#minTopTwoGap}). */
    static final float MIN_GAP = 0.02f;

    @Test
    void fullFineTuneExportedAsGgufRunsTheSameInLlamaCpp() throws Exception {
        LoadedModel base = ModelLoader.load(Stories260K.checkpoint());
        LlamaWeights tuned = Params.copy(base.weights());
        try (Trainer t = new Trainer(tuned, options(2e-3f))) {
            t.train(plan(base.tokenizer(), 12), null, null, null, null);
        }
        checkExports(base, tuned, "full");
    }

    @Test
    void loraMergedIntoTheBaseExportedAsGgufRunsTheSameInLlamaCpp() throws Exception {
        LoadedModel base = ModelLoader.load(Stories260K.checkpoint());
        LlamaWeights frozen = Params.copy(base.weights());
        LlamaWeights merged;
        LoraConfig lora = new LoraConfig(4, 8f, 0f, LoraConfig.parseTargets("q,k,v,o,gate,up,down"));
        try (Trainer t = new Trainer(frozen, options(8e-3f).withLora(lora))) {
            t.train(plan(base.tokenizer(), 12), null, null, null, null);
            merged = t.adapter().mergeInto(frozen);
        }
        assertWeightsEqual(base.weights(), frozen, "LoRA training must leave the base untouched");
        checkExports(base, merged, "lora");
    }

    private void checkExports(LoadedModel base, LlamaWeights tuned, String name) throws Exception {
        Tokenizer tok = base.tokenizer();
        LoadedModel tunedModel = new LoadedModel(base.config(), tuned, tok, null, base.files());
        // The fine-tune must have changed what the model says after every trained prompt: from the
        // base's own story to the trained completion.
        for (String[] pair : PAIRS) {
            int[] ids = tok.encode(pair[0], true);
            String before = Greedy.textAfter(tok, ids, Greedy.continuation(base, ids, STEPS));
            String after = Greedy.textAfter(tok, ids, Greedy.continuation(tunedModel, ids, STEPS));
            System.out.println(name + " '" + pair[0] + "': base '" + before + "' -> tuned '" + after + "'");
            assertFalse(before.startsWith(pair[1]), name + ": the base already completes '" + pair[0] + "' as trained");
            assertTrue(after.startsWith(pair[1]), name + ": greedy text after '" + pair[0] + "' is not the trained completion: '" + after + "'");
        }

        LlamaCpp.useLibraryDir(tmp, "jllama-lib");
        for (GgufCheckpoint.Precision precision : GgufCheckpoint.Precision.values()) {
            Path gguf = tmp.resolve(name + "-" + precision + ".gguf");
            GgufCheckpoint.write(gguf, tuned, tok, null, precision, "stories260K-" + name);
            // Our side runs the file read back, so an F16 export is compared on the same rounded weights.
            LoadedModel ours = ModelLoader.load(gguf);
            if (precision == GgufCheckpoint.Precision.F32) {
                assertWeightsEqual(tuned, ours.weights(), name + ": F32 export is exact");
            } else {
                assertFalse(Arrays.equals(tuned.wq[0], ours.weights().wq[0]), name + ": F16 export should round the weights");
            }
            try (LlamaModel cpp = LlamaCpp.open(gguf, 128)) {
                for (String prompt : PROMPTS) {
                    // Exact agreement is only a fair demand away from near-ties; F16 rounding moves
                    // these logits by about 0.002 (the settings above give gaps of 0.05 or more).
                    float gap = Greedy.minTopTwoGap(ours, tok.encode(prompt, true), STEPS);
                    assertTrue(gap > MIN_GAP, name + " " + precision + ": greedy path of '" + prompt + "' passes a near-tie (top-two logit gap "
                            + gap + "); change the training settings so the comparison is well posed");
                    int[] cont = LlamaCpp.assertSameGreedyText(ours, cpp, prompt, STEPS, name + " " + precision);
                    assertTrue(cont.length >= 8, name + " " + precision + ": the comparison needs a real continuation of '" + prompt
                            + "', got " + Arrays.toString(cont));
                }
            }
        }
    }

    private static SftPlan plan(Tokenizer tok, int epochs) {
        List<SftPlan.Example> examples = new ArrayList<>();
        for (String[] pair : PAIRS) {
            // Split prompt+completion where the prompt's own encoding ends, as generation will see it.
            int[] prompt = tok.encode(pair[0], true);
            int[] full = tok.encode(pair[0] + pair[1], true);
            assertArrayEquals(prompt, Arrays.copyOf(full, prompt.length), "prompt tokens are a prefix of prompt+completion");
            examples.add(new SftPlan.Example(prompt, Arrays.copyOfRange(full, prompt.length, full.length)));
        }
        return new SftPlan(examples, 64, 256, epochs, 7);
    }

    private static TrainOptions options(float lr) {
        return TrainOptions.defaults().withLr(lr).withWarmup(2).withThreads(2).withSeed(5);
    }

    private static void assertWeightsEqual(LlamaWeights expected, LlamaWeights actual, String message) {
        List<Params.Param> e = Params.of(expected, expected), a = Params.of(actual, actual);
        assertEquals(e.size(), a.size(), message);
        for (int i = 0; i < e.size(); i++) assertArrayEquals(e.get(i).value(), a.get(i).value(), 0f, message + ": " + e.get(i).name());
    }
}
