package dev.selftaught.llm;

import java.util.List;

/**
 * One token's log-probability as a model reports it (OpenAI's {@code logprobs.content[]} entry):
 * its text, its UTF-8 bytes (a token may hold part of a character), its natural-log probability
 * ({@code null} for the first prompt token of an echo, which nothing predicts) and the most
 * probable alternatives at that position, most probable first.
 */
public record TokenLogprob(String token, byte[] bytes, Double logprob, List<Alternative> top) {
    public record Alternative(String token, byte[] bytes, double logprob) {}

    public TokenLogprob {
        top = top == null ? List.of() : List.copyOf(top);
    }

    /** The probability of the token, or 0 when unknown. */
    public double probability() { return logprob == null ? 0 : Math.exp(logprob); }
}
