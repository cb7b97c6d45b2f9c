package dev.selftaught.llm;

import java.util.Objects;

/** One generated completion. finishReason is "stop" (EOS or a stop string) or "length". */
public record Completion(String text, String finishReason) {
    public Completion {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(finishReason, "finishReason");
    }
}
