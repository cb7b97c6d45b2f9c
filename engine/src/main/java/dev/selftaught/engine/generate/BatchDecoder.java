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
    /** Per logit row: the prompt position it scores (echo), or -1 for a row that samples. */
    private final int[] logitPromptPos;
    /** The raw logits row of a sequence that asked for log-probabilities (rules edit them in place). */
    private final float[] raw;
    /** Tokens sampled so far, over all sequences (readable from any thread). */
    private final java.util.concurrent.atomic.AtomicLong sampled = new java.util.concurrent.atomic.AtomicLong();

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
        logitPromptPos = new int[rows];
        raw = new float[vocab];
    }

    /** Queues a sequence; it joins at the next {@link #step}. {@code onDone} runs when it ends. */
    public Sequence add(GenerationRequest request, Consumer<Sequence> onDone) {
        return add(request, onDone, null);
    }

    /**
     * Queues a sequence whose prompt equals {@code leader}'s (added before it): it reuses the
     * leader's prefill (KV positions copied) instead of computing it again, when the leader is
     * still running by then; otherwise it prefills by itself. Sampling is its own either way.
     */
    public Sequence add(GenerationRequest request, Consumer<Sequence> onDone, Sequence leader) {
        Sequence s = new Sequence(request, tokenizer, onDone);
        if (leader != null) {
            if (!java.util.Arrays.equals(leader.request.prompt(), request.prompt())) {
                throw new IllegalArgumentException("a sequence can only share the prefill of one with the same prompt");
            }
            s.leader = leader;
        }
        waiting.add(s);
        return s;
    }

    public Sequence add(GenerationRequest request) { return add(request, null); }

    /** Tokens sampled so far over all sequences; safe to read from any thread. */
    public long tokensSampled() { return sampled.get(); }

    /** Forward passes run so far; tokensSampled / forwardPasses is the mean batch of sampled rows. */
    public long forwardPasses() { return passes.get(); }

    private final java.util.concurrent.atomic.AtomicLong passes = new java.util.concurrent.atomic.AtomicLong();

    /** Sequences being decoded or waiting. */
    public int pending() { return active.size() + waiting.size(); }

    public boolean idle() { return pending() == 0; }

    /**
     * Runs one forward pass over the batch; returns false if there was nothing to do.
     *
     * <p>Failures stay as small as they can: a sequence whose sampling fails (non-finite logits,
     * everything masked) or whose listener throws ends with that error alone; a forward pass that
     * throws ends the sequences of that pass (their KV-cache contents are no longer trustworthy)
     * and the decoder goes on with the next ones. Only {@link Error}s other than
     * {@link OutOfMemoryError} propagate.
     */
    public boolean step() {
        dropCancelled();
        admit();
        if (active.isEmpty()) return false;
        shareLeadersPrefill();
        int budget = model.maxRows();
        int n = 0, nl = 0;
        // Decoding sequences first: one row each, so prefill never stalls running sequences.
        for (Sequence s : active) {
            if (s.prefilling()) continue;
            slots[n] = s.slot;
            tokens[n] = s.next;
            positions[n] = s.position();
            logitRows[nl] = n;
            logitPromptPos[nl] = -1;
            logitSeq[nl++] = s;
            n++;
        }
        int samplingRows = nl;
        int logitBudget = model.maxLogitRows();
        // Then prompt rows, each prompt as consecutive rows, in arrival order.
        for (Sequence s : active) {
            if (!s.prefilling() || n >= budget || s.leader != null) continue;
            int[] prompt = s.request.prompt();
            int remaining = prompt.length - s.prefilled;
            int take = Math.min(remaining, budget - n);
            boolean echo = s.request.echo();
            // Echo: every prompt row asks for logits; otherwise only the last one does.
            if (echo) take = Math.min(take, logitBudget - nl);
            else if (take == remaining && nl >= logitBudget) take = remaining - 1;
            if (take <= 0) continue;
            for (int i = 0; i < take; i++) {
                int pos = s.prefilled + i;
                slots[n] = s.slot;
                tokens[n] = prompt[pos];
                positions[n] = pos;
                if (echo && pos + 1 < prompt.length) { // scores the next prompt token
                    logitRows[nl] = n;
                    logitPromptPos[nl] = pos;
                    logitSeq[nl++] = s;
                }
                n++;
            }
            s.prefilled += take;
            if (!s.prefilling()) {        // the last prompt row gives the first new token
                logitRows[nl] = n - 1;
                logitPromptPos[nl] = -1;
                logitSeq[nl++] = s;
                samplingRows++;
            }
        }
        try {
            model.forward(n, slots, tokens, positions, logitRows, nl);
        } catch (RuntimeException | OutOfMemoryError e) {
            // Every sequence with a row in this pass fails; their slots are freed below.
            RuntimeException err = e instanceof RuntimeException re ? re
                    : new IllegalStateException("out of memory in the forward pass: " + e.getMessage(), e);
            for (Sequence s : active) {
                if (!s.done() && containsSlot(s.slot, n)) s.error = err;
            }
            for (int i = 0; i < nl; i++) logitSeq[i] = null;
            retire();
            return true;
        }
        float[] logits = model.logits();
        sampled.addAndGet(samplingRows);
        passes.incrementAndGet();
        for (int i = 0; i < nl; i++) {
            Sequence s = logitSeq[i];
            logitSeq[i] = null;
            if (s.done()) continue;
            try {
                GenerationRequest r = s.request;
                if (logitPromptPos[i] >= 0) {
                    s.promptLogprobs.add(TokenLogprob.of(logits, i * vocab, vocab, r.prompt()[logitPromptPos[i] + 1], r.topLogprobs()));
                    continue;
                }
                if (r.wantsLogprobs()) System.arraycopy(logits, i * vocab, raw, 0, vocab);
                applyRules(s, logits, i * vocab);
                int token = sampler.sample(logits, i * vocab, r.sampling(), s.rng);
                advanceOrThrow(s, token, r.wantsLogprobs() ? TokenLogprob.of(raw, 0, vocab, token, r.topLogprobs()) : null);
            } catch (RuntimeException e) {
                // Sampling failed (non-finite logits, all masked) or a streaming listener threw (e.g.
                // its client went away): that sequence ends with the error; the others go on.
                s.error = e;
            }
        }
        retire();
        return true;
    }

    /**
     * Followers whose leader has cached all of the prompt but its last token copy those positions
     * and go on with the last token only; followers whose leader is gone prefill by themselves.
     * Runs before the rows of a step are planned, so only positions already computed are copied.
     */
    private void shareLeadersPrefill() {
        for (Sequence s : active) {
            Sequence l = s.leader;
            if (l == null) continue;
            int shared = s.request.prompt().length - 1;
            if (l.done() || l.slot < 0 || !active.contains(l)) {
                s.leader = null; // the leader is gone: prefill alone
            } else if (l.prefilled >= shared) {
                if (shared > 0 && s.prefilled < shared) {
                    model.cache().copyPrefix(l.slot, s.slot, shared);
                    s.prefilled = shared;
                    sharedPrefill.addAndGet(shared);
                }
                s.leader = null;
            }
        }
    }

    /** Prompt positions copied from a leader instead of computed (readable from any thread). */
    public long positionsShared() { return sharedPrefill.get(); }

    private final java.util.concurrent.atomic.AtomicLong sharedPrefill = new java.util.concurrent.atomic.AtomicLong();

    private boolean containsSlot(int slot, int n) {
        for (int r = 0; r < n; r++) if (slots[r] == slot) return true;
        return false;
    }

    /** Removes finished sequences from the batch, freeing their slots. */
    private void retire() {
        active.removeIf(s -> {
            if (!s.done()) return false;
            model.cache().release(s.slot);
            notifyDone(s);
            return true;
        });
    }

    /** Cancelled sequences leave before the next pass, waiting or running. */
    private void dropCancelled() {
        waiting.removeIf(s -> {
            if (!s.cancelled()) return false;
            s.error = new java.util.concurrent.CancellationException("cancelled");
            notifyDone(s);
            return true;
        });
        for (Sequence s : active) {
            if (s.cancelled() && !s.done()) s.error = new java.util.concurrent.CancellationException("cancelled");
        }
        retire();
    }

    private void notifyDone(Sequence s) {
        if (s.onDone == null) return;
        try {
            s.onDone.accept(s);
        } catch (RuntimeException ignored) {
            // a completion callback must not take the batch down
        }
    }

    /** Penalties, min_tokens and the token mask, in {@link LogitRules}' order. */
    private void applyRules(Sequence s, float[] logits, int off) {
        LogitRules r = s.request.rules();
        if (r.none()) return;
        if (s.seen != null) {
            float p = r.repetitionPenalty();
            for (int t = s.seen.nextSetBit(0); t >= 0 && t < vocab; t = s.seen.nextSetBit(t + 1)) {
                float x = logits[off + t];
                logits[off + t] = LogitRules.clamp(x > 0 ? x / p : x * p);
            }
        }
        if ((r.presencePenalty() != 0f || r.frequencyPenalty() != 0f) && s.nGenerated > 0) {
            int[] g = s.generated.clone();
            java.util.Arrays.sort(g, 0, s.nGenerated);
            for (int i = 0; i < s.nGenerated; ) {
                int t = g[i], j = i;
                while (j < s.nGenerated && g[j] == t) j++;
                if (t >= 0 && t < vocab) {
                    logits[off + t] = LogitRules.clamp(logits[off + t] - r.presencePenalty() - r.frequencyPenalty() * (j - i));
                }
                i = j;
            }
        }
        if (s.nGenerated < r.minTokens()) {
            for (int id : s.request.stopIds()) if (id >= 0 && id < vocab) logits[off + id] = Float.NEGATIVE_INFINITY;
        }
        if (r.mask() != null) r.mask().apply(s.generated, s.nGenerated, logits, off, vocab);
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
            try {
                s.slot = model.cache().allocate((int) Math.min(maxCtx, (long) plen + s.request.maxTokens()));
            } catch (RuntimeException | OutOfMemoryError e) {
                fail(s, new IllegalStateException("no memory for this sequence's KV cache: " + e.getMessage(), e));
                continue;
            }
            active.add(s);
        }
    }

    private void fail(Sequence s, RuntimeException e) {
        s.error = e;
        notifyDone(s);
    }

    private void advanceOrThrow(Sequence s, int token, TokenLogprob lp) {
        GenerationRequest r = s.request;
        for (int id : r.stopIds()) {
            if (id == token) {
                s.text.finish();
                s.finish(GenerationResult.Finish.STOP);
                return;
            }
        }
        s.addGenerated(token);
        if (lp != null) s.logprobs.add(lp);
        if (s.text.accept(token, lp)) {
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
