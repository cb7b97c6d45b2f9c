package dev.selftaught.engine.generate;

/**
 * Which tokens a sequence may produce next (guided decoding: a choice list, a grammar). The
 * decoder calls it on the sequence's logits row just before sampling; it sets the logit of every
 * forbidden token to {@code -inf}, which the {@link Sampler} never picks (greedy or not). A mask
 * that forbids everything fails that sequence with a {@link SamplingException}.
 */
@FunctionalInterface
public interface TokenMask {
    /**
     * @param generated  the tokens generated so far ({@code generated[0 .. nGenerated)})
     * @param logits     the row to edit, {@code logits[off .. off + vocab)}
     */
    void apply(int[] generated, int nGenerated, float[] logits, int off, int vocab);
}
