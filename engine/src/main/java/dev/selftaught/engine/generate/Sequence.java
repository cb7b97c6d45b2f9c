package dev.selftaught.engine.generate;

import dev.selftaught.engine.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/** State of one sequence inside a {@link BatchDecoder}. */
public final class Sequence {
    final GenerationRequest request;
    final SplittableRandom rng;
    final TextAssembler text;
    final Consumer<Sequence> onDone;
    int slot = -1;
    /** Prompt tokens already fed to the model. */
    int prefilled;
    /** Token to feed next once the prompt is done (the last sampled one). */
    int next = -1;
    int[] generated = new int[16];
    int nGenerated;
    GenerationResult result;
    RuntimeException error;
    /** Set from any thread; the decoder drops the sequence at its next step. */
    private volatile boolean cancelled;
    /** Tokens of the prompt and output, for the repetition penalty (null when it is off). */
    final java.util.BitSet seen;
    /**
     * A sequence with the same prompt whose prefill this one reuses (the first sample of the same
     * request), or null. While the leader has not yet cached the prompt but its last token, this
     * one waits; then it copies those positions and prefills the last token alone.
     */
    Sequence leader;
    /** Log-probabilities of the generated tokens, when asked for; else null. */
    final java.util.List<TokenLogprob> logprobs;
    /** Log-probabilities of the prompt tokens (echo), the first one NaN; else null. */
    final java.util.List<TokenLogprob> promptLogprobs;

    Sequence(GenerationRequest request, Tokenizer tokenizer, Consumer<Sequence> onDone) {
        this.request = request;
        this.rng = new SplittableRandom(request.seed());
        this.text = new TextAssembler(tokenizer, request.prompt()[request.prompt().length - 1], request.stopStrings(), request.listener());
        this.onDone = onDone;
        if (request.rules().repetitionPenalty() != 1f) {
            seen = new java.util.BitSet();
            for (int t : request.prompt()) if (t >= 0) seen.set(t);
        } else {
            seen = null;
        }
        logprobs = request.wantsLogprobs() ? new java.util.ArrayList<>() : null;
        if (request.echo()) {
            promptLogprobs = new java.util.ArrayList<>();
            promptLogprobs.add(new TokenLogprob(request.prompt()[0], Float.NaN, new int[0], new float[0]));
        } else {
            promptLogprobs = null;
        }
    }

    /**
     * Asks the decoder to stop this sequence (its client went away): it leaves the batch at the
     * next step, frees its KV-cache slot, and ends with a {@link java.util.concurrent.CancellationException}.
     * Safe from any thread; does nothing once the sequence is done.
     */
    public void cancel() { cancelled = true; }

    public boolean cancelled() { return cancelled; }

    public GenerationRequest request() { return request; }

    /** The result once finished, else null. */
    public GenerationResult result() { return result; }

    /** Why the sequence failed (e.g. its prompt does not fit the context), else null. */
    public RuntimeException error() { return error; }

    public boolean done() { return result != null || error != null; }

    boolean prefilling() { return prefilled < request.prompt().length; }

    /** Position of the next token fed to the model (the last generated one) once decoding. */
    int position() { return prefilled + nGenerated - 1; }

    void addGenerated(int id) {
        if (nGenerated == generated.length) generated = Arrays.copyOf(generated, generated.length * 2);
        generated[nGenerated++] = id;
        if (seen != null) seen.set(id);
    }

    void finish(GenerationResult.Finish finish) {
        if (finish == GenerationResult.Finish.LENGTH) text.finish();
        text.flush();
        result = new GenerationResult(Arrays.copyOf(generated, nGenerated), text.text(), finish, request.prompt().length,
                logprobs == null ? null : java.util.List.copyOf(logprobs),
                promptLogprobs == null ? null : java.util.List.copyOf(promptLogprobs));
    }
}
