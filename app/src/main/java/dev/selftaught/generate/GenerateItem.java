package dev.selftaught.generate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.SamplingParams;

import java.util.List;

/** One input row of {@code generate}: its id (as given, or the row index) and its messages or prompt. */
public record GenerateItem(JsonNode id, List<ChatMessage> messages, String prompt) {
    public ModelRequest request(SamplingParams params) {
        return messages != null ? ModelRequest.chat(messages, params) : ModelRequest.completion(prompt, params);
    }
}
