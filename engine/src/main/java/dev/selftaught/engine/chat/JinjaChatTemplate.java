package dev.selftaught.engine.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint's Jinja chat template, rendered as HF's {@code apply_chat_template} does: variables
 * {@code messages} (list of {role, content}), {@code add_generation_prompt}, {@code bos_token},
 * {@code eos_token}; {@code raise_exception(msg)} fails the render with that message.
 */
public final class JinjaChatTemplate implements ChatTemplate {
    private final String source;
    private final JinjaTemplate template;
    private final String bosToken;
    private final String eosToken;

    /** Parses the template now, so a broken template is reported when the model loads. */
    public JinjaChatTemplate(String source, String bosToken, String eosToken) {
        this.source = source;
        this.template = JinjaTemplate.parse(source);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
    }

    /** The template text, e.g. to write it into another checkpoint. */
    public String source() { return source; }

    @Override
    public String render(List<Turn> turns, boolean addGenerationPrompt) {
        List<Object> messages = new ArrayList<>();
        for (Turn t : turns) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", t.role());
            m.put("content", t.content());
            messages.add(m);
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        return template.render(vars);
    }

    /**
     * {@link DefaultChatTemplate}'s format as Jinja source, for writing into checkpoints that have
     * no template of their own (so transformers, vLLM and llama.cpp render prompts as we do):
     * each turn as {@code <|ROLE|>\nCONTENT\n}, generation prompt {@code <|assistant|>\n}.
     */
    public static final String DEFAULT_SOURCE = "{% for message in messages %}"
            + "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

    public static JinjaChatTemplate defaultTemplate() { return new JinjaChatTemplate(DEFAULT_SOURCE, "", ""); }
}
