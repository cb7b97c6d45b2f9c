package dev.selftaught.engine.testutil;

import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.kernel.ThreadTeam;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.tokenizer.Tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Our engine's greedy decoding, written out step by step on the bare {@link Transformer} (one
 * thread, argmax of the logits) so that tests comparing against other engines depend on nothing
 * but the forward pass.
 */
public final class Greedy {
    private Greedy() {}

    /** The {@code steps} argmax tokens that follow {@code prompt} (which carries its own BOS, if any). */
    public static int[] continuation(LoadedModel m, int[] prompt, int steps) {
        return run(m, prompt, steps, new float[1]);
    }

    /**
     * The smallest gap between the largest and the second-largest logit along the greedy path of
     * {@link #continuation}: how far the comparison with another engine is from a near-tie that
     * rounding differences (F16 weights, other summation orders) could flip.
     */
    public static float minTopTwoGap(LoadedModel m, int[] prompt, int steps) {
        float[] gap = {Float.POSITIVE_INFINITY};
        run(m, prompt, steps, gap);
        return gap[0];
    }

    private static int[] run(LoadedModel m, int[] prompt, int steps, float[] minGap) {
        try (var team = new ThreadTeam(1)) {
            var t = new Transformer(m.weights(), 1, team);
            int slot = t.cache().allocate(prompt.length + steps + 1);
            int v = m.config().vocabSize();
            int[] out = new int[steps];
            int pos = 0, next = -1;
            for (int i = 0; i < prompt.length; i++) next = step(t, slot, prompt[i], pos++, v, i == prompt.length - 1 ? minGap : null);
            for (int i = 0; i < steps; i++) {
                out[i] = next;
                next = step(t, slot, next, pos++, v, i < steps - 1 ? minGap : null);
            }
            return out;
        }
    }

    /** The continuation up to (not including) its first stop token, as llama.cpp ends generation there. */
    public static int[] untilStop(int[] continuation, Tokenizer tok) {
        int end = 0;
        outer:
        for (; end < continuation.length; end++) {
            for (int s : tok.stopIds()) if (continuation[end] == s) break outer;
        }
        return Arrays.copyOf(continuation, end);
    }

    /**
     * The text {@code continuation} adds after {@code prompt}: decoded in context, so a first piece
     * with a word-initial space keeps it (decoding the continuation alone would drop it as a
     * dummy prefix), while right after BOS it is dropped, as at the start of any text.
     */
    public static String textAfter(Tokenizer tok, int[] prompt, int[] continuation) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int previous = prompt.length == 0 ? -1 : prompt[prompt.length - 1];
        for (int id : continuation) {
            out.writeBytes(tok.streamBytes(previous, id));
            previous = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** One forward step; returns the argmax and, when {@code minGap} is given, lowers it to this step's top-two gap. */
    private static int step(Transformer t, int slot, int tok, int pos, int v, float[] minGap) {
        t.forward(1, new int[] {slot}, new int[] {tok}, new int[] {pos}, new int[] {0}, 1);
        float[] l = t.logits();
        int best = 0;
        for (int i = 1; i < v; i++) if (l[i] > l[best]) best = i;
        if (minGap != null) {
            float second = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < v; i++) if (i != best && l[i] > second) second = l[i];
            minGap[0] = Math.min(minGap[0], l[best] - second);
        }
        return best;
    }
}
