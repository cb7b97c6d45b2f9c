package dev.selftaught.engine.chat;

import java.util.List;

/**
 * The chat format used when a checkpoint carries no template of its own (llama2.c checkpoints,
 * models trained by this project). Each turn is a role header line followed by its content:
 * <pre>
 * &lt;|system|&gt;
 * You are a careful judge.
 * &lt;|user|&gt;
 * Which answer is better?
 * &lt;|assistant|&gt;
 * </pre>
 * Turns are separated by a newline; the generation prompt is the {@code <|assistant|>} header and
 * its newline. The headers are plain text (no special tokens), so any tokenizer can encode them.
 */
public final class DefaultChatTemplate implements ChatTemplate {
    public static final DefaultChatTemplate INSTANCE = new DefaultChatTemplate();

    @Override
    public String render(List<Turn> turns, boolean addGenerationPrompt) {
        StringBuilder sb = new StringBuilder();
        for (Turn t : turns) {
            sb.append("<|").append(t.role()).append("|>\n").append(t.content()).append('\n');
        }
        if (addGenerationPrompt) sb.append("<|assistant|>\n");
        return sb.toString();
    }
}
