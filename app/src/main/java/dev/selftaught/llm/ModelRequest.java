package dev.selftaught.llm;

import dev.selftaught.data.ChatMessage;
import java.util.List;
import java.util.Objects;

/**
 * One call to a model: either chat {@code messages} or a raw {@code prompt} (exactly one is set).
 * A raw prompt is completed as-is (no chat template); an empty prompt means "from BOS alone".
 */
public record ModelRequest(List<ChatMessage> messages, String prompt, SamplingParams params) {
    public ModelRequest {
        Objects.requireNonNull(params, "params");
        if ((messages == null) == (prompt == null)) {
            throw new IllegalArgumentException("a request has either messages or a prompt, not both or neither");
        }
        if (messages != null) {
            if (messages.isEmpty()) throw new IllegalArgumentException("messages must not be empty");
            messages = List.copyOf(messages);
        }
    }

    public static ModelRequest chat(List<ChatMessage> messages, SamplingParams params) {
        return new ModelRequest(messages, null, params);
    }

    public static ModelRequest completion(String prompt, SamplingParams params) {
        return new ModelRequest(null, prompt, params);
    }

    public boolean isChat() { return messages != null; }

    public ModelRequest withParams(SamplingParams p) { return new ModelRequest(messages, prompt, p); }
}
