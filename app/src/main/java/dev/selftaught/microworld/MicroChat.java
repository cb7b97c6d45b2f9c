package dev.selftaught.microworld;

import dev.selftaught.engine.chat.ChatTemplate;
import dev.selftaught.engine.chat.DefaultChatTemplate;
import dev.selftaught.data.ChatMessage;

import java.util.ArrayList;
import java.util.List;

/**
 * How the micro-world seed sees a chat: the engine's {@link DefaultChatTemplate}, which the
 * embedded backend uses for llama2.c checkpoints (they carry no template). Pre-training renders
 * every conversation with it, so the seed meets at inference exactly the text it was trained on.
 */
public final class MicroChat {
    private MicroChat() {}

    /** The prompt text for a conversation whose last message is the user's, ending with the assistant header. */
    public static String prompt(List<ChatMessage> messages) {
        List<ChatTemplate.Turn> turns = new ArrayList<>();
        for (ChatMessage m : messages) turns.add(new ChatTemplate.Turn(m.role(), m.content()));
        return DefaultChatTemplate.INSTANCE.render(turns, true);
    }
}
