package dev.selftaught.engine.generate;

import dev.selftaught.engine.infer.Transformer;
import dev.selftaught.engine.tokenizer.Tokenizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Continuous batching over one {@link Transformer}. Each {@link #step} runs one forward pass over
 * every active sequence: one row per decoding sequence plus as many prompt rows of sequences in
 * prefill as the row budget allows. Sequences finish independently (stop id, stop string, max
 * tokens, full context); waiting ones take the freed places at the next step.
 *
 * <p>Single-threaded (the caller of {@link #step} drives the model); see {@link Generator} for the
 * thread-safe service around it.
 */
public final class BatchDecoder {
    private final Transformer model;
    private final Tokenizer tokenizer;
    private final int maxSequences;
    private final int vocab;
    private final Sampler sampler;
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> active = new ArrayList<>();
    // Row plan of the current step, sized for the transformer's row budget.
    private final int[] slots, tokens, positions, logitRows;
    private final Sequence[] logitSeq;

    /**
     * @param tokenizer    turns tokens into text; null decodes tokens only (texts stay empty)
     * @param maxSequences most sequences decoded together (each holds a KV-cache slot)
     */
    public BatchDecoder(Transformer model, Tokenizer tokenizer, int maxSequences) {
        if (maxSequences < 1 || maxSequences > model.maxLogitRows()) {
            throw new IllegalArgumentException("maxSequences must be in [1, " + model.maxLogitRows() + "], got " + maxSequences);
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.maxSequences = maxSequences;
        this.vocab = model.config().vocabSize();
        this.sampler = new Sampler(vocab);
        int rows = model.maxRows();
        slots = new int[rows];
        tokens = new int[rows];
        positions = new int[rows];
        logitRows = new int[rows];
        logitSeq = new Sequence[rows];
    }

    /** Queues a sequence; it joins at the next {@link #step}. {@code onDone} runs when it ends. */
    public Sequence add(GenerationRequest request, Consumer<Sequence> onDone) {
        Sequence s = new Sequence(request, tokenizer, onDone);
        waiting.add(s);
        return s;
    }

    public Sequence add(GenerationRequest request) { return add(request, null); }

    /** Sequences being decoded or waiting. */
    public int pending() { return active.size() + waiting.size(); }

    public boolean idle() { return pending() == 0; }

    /** Runs one forward pass over the batch; returns false if there was nothing to do. */
    public boolean step() {
        admit();
        if (active.isEmpty()) return false;
        int budget = model.maxRows();
        int n = 0, nl = 0;
        // Decoding sequences first: one row each, so prefill never stalls running sequences.
        for (Sequence s : active) {
            if (s.prefilling()) continue;
            slots[n] = s.slot;
            tokens[n] = s.next;
            positions[n] = s.position();
            logitRows[nl] = n;
            logitSeq[nl++] = s;
            n++;
        }
        // Then prompt rows, each prompt as consecutive rows, in arrival order.
        for (Sequence s : active) {
            if (!s.prefilling() || n >= budget) continue;
            int[] prompt = s.request.prompt();
            int take = Math.min(prompt.length - s.prefilled, budget - n);
            for (int i = 0; i < take; i++) {
                slots[n] = s.slot;
                tokens[n] = prompt[s.prefilled + i];
                positions[n] = s.prefilled + i;
                n++;
            }
            s.prefilled += take;
            if (!s.prefilling()) {        // the last prompt row gives the first new token
                logitRows[nl] = n - 1;
                logitSeq[nl++] = s;
            }
        }
        model.forward(n, slots, tokens, positions, logitRows, nl);
        float[] logits = model.logits();
        for (int i = 0; i < nl; i++) {
            Sequence s = logitSeq[i];
            logitSeq[i] = null;
            advance(s, sampler.sample(logits, i * vocab, s.request.sampling(), s.rng));
        }
        active.removeIf(s -> {
            if (!s.done()) return false;
            model.cache().release(s.slot);
            if (s.onDone != null) s.onDone.accept(s);
            return true;
        });
        return true;
    }

    /** Runs steps until every queued sequence is done. */
    public void runToCompletion() {
        while (step()) { /* keep decoding */ }
    }

    private void admit() {
        int maxCtx = model.config().maxSeqLen();
        while (active.size() < maxSequences && !waiting.isEmpty()) {
            Sequence s = waiting.poll();
            int plen = s.request.prompt().length;
            int vocabSize = vocab;
            for (int t : s.request.prompt()) {
                if (t < 0 || t >= vocabSize) {
                    fail(s, new IllegalArgumentException("prompt token id " + t + " outside the vocabulary of " + vocabSize));
                    break;
                }
            }
            if (s.done()) continue;
            if (plen >= maxCtx) {
                fail(s, new IllegalArgumentException("prompt of " + plen + " tokens does not fit the model's context of "
                        + maxCtx + " tokens (at least one new token is needed)"));
                continue;
            }
            // Positions fed: the prompt plus every generated token but the last.
            s.slot = model.cache().allocate((int) Math.min(maxCtx, (long) plen + s.request.maxTokens()));
            active.add(s);
        }
    }

    private void fail(Sequence s, RuntimeException e) {
        s.error = e;
        if (s.onDone != null) s.onDone.accept(s);
    }

    private void advance(Sequence s, int token) {
        try {
            advanceOrThrow(s, token);
        } catch (RuntimeException e) {
            // A streaming listener threw (e.g. its client went away): that sequence ends with the
            // error; the others go on.
            s.error = e;
        }
    }

    private void advanceOrThrow(Sequence s, int token) {
        GenerationRequest r = s.request;
        for (int id : r.stopIds()) {
            if (id == token) {
                s.text.finish();
                s.finish(GenerationResult.Finish.STOP);
                return;
            }
        }
        s.addGenerated(token);
        if (s.text.accept(token)) {
            s.finish(GenerationResult.Finish.STOP);
            return;
        }
        if (s.nGenerated >= r.maxTokens() || s.position() >= model.cache().capacity(s.slot)) {
            s.finish(GenerationResult.Finish.LENGTH);
            return;
        }
        s.next = token;
    }
}
