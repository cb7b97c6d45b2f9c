package dev.selftaught.engine.testutil;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import dev.selftaught.engine.load.LoadedModel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * llama.cpp through the de.kherud:llama JNI binding (test scope only) as an independent engine
 * for GGUF files we write: open a file, and check that llama.cpp tokenizes a prompt and continues
 * it greedily exactly as our engine does.
 *
 * <p>Quirks handled here: the binding deletes every {@code llama*}/{@code jllama*} file in the
 * directory it extracts its native library to, so each test gives it an empty directory of its
 * own ({@link #useLibraryDir}); a JVM that loaded it does not exit by itself (engine/pom.xml
 * lets Surefire end the fork after 5 s).
 */
public final class LlamaCpp {
    private LlamaCpp() {}

    /** Points the binding at an empty directory of its own; call before the first {@link #open}. */
    public static void useLibraryDir(Path tmp, String name) throws IOException {
        Path libDir = Files.createDirectories(tmp.resolve(name));
        System.setProperty("de.kherud.llama.tmpdir", libDir.toString());
    }

    /** One-threaded, deterministic settings so results do not depend on the machine's load. */
    public static LlamaModel open(Path gguf, int contextSize) {
        return new LlamaModel(new ModelParameters().setModel(gguf.toString()).setCtxSize(contextSize).setThreads(1)
                .setThreadsBatch(1).setBatchSize(64).setUbatchSize(64).setSeed(1));
    }

    /** llama.cpp's greedy completion of a raw prompt (BOS added by llama.cpp), at most {@code steps} tokens. */
    public static String greedyText(LlamaModel model, String prompt, int steps) {
        return model.complete(new InferenceParameters(prompt).setTemperature(0f).setTopK(1).setRepeatPenalty(1f)
                .setNPredict(steps).setSeed(1).setCachePrompt(false));
    }

    /**
     * Asserts that llama.cpp tokenizes {@code prompt} as {@code ours} does and continues it greedily
     * with the same text for {@code steps} tokens (or up to the first stop token).
     *
     * @return our greedy continuation (ids, up to the first stop token)
     */
    public static int[] assertSameGreedyText(LoadedModel ours, LlamaModel cpp, String prompt, int steps, String label) {
        int[] promptIds = ours.tokenizer().encode(prompt, true);
        int[] cppIds = cpp.encode(prompt);
        assertArrayEquals(withoutBos(promptIds, ours.tokenizer().bos()), withoutBos(cppIds, ours.tokenizer().bos()),
                label + ": llama.cpp tokenizes '" + prompt + "' as we do");
        int[] cont = Greedy.untilStop(Greedy.continuation(ours, promptIds, steps), ours.tokenizer());
        String ourText = Greedy.textAfter(ours.tokenizer(), promptIds, cont);
        // Right after BOS, SentencePiece decoding (and ours) drops the word-initial space of the
        // first piece; llama.cpp's completion text keeps it. Same tokens, one convention apart.
        if (promptIds.length == 1 && promptIds[0] == ours.tokenizer().bos() && cont.length > 0
                && new String(ours.tokenizer().tokenBytes(cont[0]), StandardCharsets.UTF_8).startsWith(" ")) {
            ourText = " " + ourText;
        }
        assertEquals(ourText, greedyText(cpp, prompt, steps),
                label + ": greedy continuation of '" + prompt + "' " + Arrays.toString(promptIds) + " = " + Arrays.toString(cont));
        return cont;
    }

    /** The ids without a leading BOS (llama.cpp's encode may or may not add one). */
    public static int[] withoutBos(int[] ids, int bos) {
        return ids.length > 0 && ids[0] == bos ? Arrays.copyOfRange(ids, 1, ids.length) : ids;
    }
}
