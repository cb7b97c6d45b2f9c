package dev.selftaught.microworld;

import dev.selftaught.llm.ChatMessage;

import java.util.List;

/**
 * How the micro-world seed sees a chat: the Llama-2 instruction format, {@code [INST] user [/INST]}
 * (a system message, when present, goes first inside the same block). The reply follows after
 * one space and ends with EOS. Pre-training renders every conversation with this, and the
 * embedded backend must render requests to the seed the same way.
 */
public final class MicroChat {
    private MicroChat() {}

    /** The prompt text for a conversation whose last message is the user's. */
    public static String prompt(List<ChatMessage> messages) {
        StringBuilder sb = new StringBuilder();
        StringBuilder pendingSystem = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case "system" -> pendingSystem.append(m.content()).append("\n\n");
                case "user" -> {
                    sb.append("[INST] ").append(pendingSystem).append(m.content().strip()).append(" [/INST]");
                    pendingSystem.setLength(0);
                }
                case "assistant" -> sb.append(' ').append(m.content().strip()).append(' ');
                default -> throw new IllegalArgumentException("unknown role " + m.role());
            }
        }
        return sb.toString();
    }
}
