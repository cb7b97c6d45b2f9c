package dev.selftaught.llm;

import java.util.Objects;

/**
 * One generated completion. finishReason is "stop" (EOS or a stop string) or "length".
 * {@code logprobs} (one per generated token) and {@code promptLogprobs} (one per prompt token, for
 * an echo) are null unless the request asked for them (see {@link SamplingParams#LOGPROBS}).
 */
public record Completion(String text, String finishReason, java.util.List<TokenLogprob> logprobs,
                         java.util.List<TokenLogprob> promptLogprobs) {
    public Completion {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(finishReason, "finishReason");
        if (logprobs != null) logprobs = java.util.List.copyOf(logprobs);
        if (promptLogprobs != null) promptLogprobs = java.util.List.copyOf(promptLogprobs);
    }

    public Completion(String text, String finishReason) {
        this(text, finishReason, null, null);
    }
}
