package dev.selftaught.engine.generate;

/**
 * One sequence cannot be sampled (non-finite logits, every token masked). It fails that sequence
 * only; the decoder and the other sequences go on.
 */
public final class SamplingException extends RuntimeException {
    public SamplingException(String message) {
        super(message);
    }
}
