package dev.selftaught.engine.chat;

import java.util.List;

/** Renders chat turns into the prompt text a model was trained on. */
public interface ChatTemplate {

    /** One turn; role is "system", "user" or "assistant". */
    record Turn(String role, String content) {}

    /**
     * @param turns               the conversation
     * @param addGenerationPrompt append the header that starts the assistant's reply
     */
    String render(List<Turn> turns, boolean addGenerationPrompt);
}
