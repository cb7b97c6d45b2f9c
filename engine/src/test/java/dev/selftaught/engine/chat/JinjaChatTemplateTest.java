package dev.selftaught.engine.chat;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real checkpoint chat templates rendered to the strings HF's apply_chat_template gives. */
class JinjaChatTemplateTest {
    static final List<ChatTemplate.Turn> CHAT = List.of(
            new ChatTemplate.Turn("system", "You are terse."),
            new ChatTemplate.Turn("user", "  Hi there \n"),
            new ChatTemplate.Turn("assistant", "Hello."),
            new ChatTemplate.Turn("user", "2+2?"));

    /** Meta-Llama-3-8B-Instruct's template (tokenizer_config.json chat_template). */
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    @Test
    void llama3() {
        JinjaChatTemplate t = new JinjaChatTemplate(LLAMA3, "<|begin_of_text|>", "<|eot_id|>");
        // Expected, written out from the template: BOS before the first turn, each turn as header,
        // blank line, trimmed content, <|eot_id|>; the assistant header as generation prompt.
        String expected = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, t.render(CHAT, true));
        assertEquals(expected.substring(0, expected.length() - "<|start_header_id|>assistant<|end_header_id|>\n\n".length()), t.render(CHAT, false));
    }

    /** Qwen2-7B-Instruct's template: ChatML with a default system prompt. */
    static final String QWEN2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
            + "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
            + "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    @Test
    void qwen2AddsDefaultSystemPromptOnlyWhenMissing() {
        JinjaChatTemplate t = new JinjaChatTemplate(QWEN2, "", "<|im_end|>");
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
                t.render(List.of(new ChatTemplate.Turn("user", "hi")), true));
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n",
                t.render(List.of(new ChatTemplate.Turn("system", "S"), new ChatTemplate.Turn("user", "hi")), false));
    }

    /** Llama-2-chat's template: system folded into the first user turn, alternation enforced. */
    static final String LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
            + "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    @Test
    void llama2FoldsSystemPromptAndRaisesOnBadAlternation() {
        JinjaChatTemplate t = new JinjaChatTemplate(LLAMA2, "<s>", "</s>");
        // .strip() trims the folded content as a whole: the user text's leading spaces stay inside.
        assertEquals("<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\n  Hi there [/INST] Hello. </s><s>[INST] 2+2? [/INST]", t.render(CHAT, true));
        JinjaTemplate.JinjaException e = assertThrows(JinjaTemplate.JinjaException.class,
                () -> t.render(List.of(new ChatTemplate.Turn("assistant", "x")), true));
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
    }

    @Test
    void trimBlocksAndLstripBlocksAsInHf() {
        // HF renders with trim_blocks (newline after a block tag dropped) and lstrip_blocks
        // (indentation before a block tag dropped), so tag-only lines vanish.
        String src = "{% for m in messages %}\n  {% if m.role == 'user' %}\nU: {{ m.content }}\n  {% else %}\nA: {{ m.content }}\n  {% endif %}\n{% endfor %}\n{#- comment -#}\nend";
        JinjaChatTemplate t = new JinjaChatTemplate(src, "", "");
        assertEquals("U: a\nA: b\nend", t.render(List.of(new ChatTemplate.Turn("user", "a"), new ChatTemplate.Turn("assistant", "b")), false));
        // "-" strips all whitespace on that side, "+" keeps the newline trim_blocks would drop.
        assertEquals("x|y", JinjaTemplate.parse("x  \n {{- '|' -}} \n  y").render(JinjaTemplate.vars()));
        assertEquals("a\nb", JinjaTemplate.parse("a{% if true +%}\nb{% endif %}").render(JinjaTemplate.vars()));
    }

    @Test
    void expressionsFiltersTestsAndNamespace() {
        String src = "{% set ns = namespace(n=0, sys=false) %}{% for m in messages if m.role != 'tool' %}"
                + "{% if m.role == 'system' %}{% set ns.sys = true %}{% endif %}{% set ns.n = ns.n + 1 %}{% endfor %}"
                + "{{ ns.n }} {{ ns.sys }} {{ messages | length }} {{ messages[-1].content | upper }} {{ (messages | map(attribute='role') | join(',')) }}"
                + " {{ 'yes' if x is defined else 'no' }} {{ none is none }} {{ 7 // 2 }} {{ 7 % 3 }} {{ 'ab' ~ 1 }}"
                + " {{ messages[0] | tojson }} {{ [1, 'a', none, true] }} {{ 'a,b'.split(',') }} {{ 'Hello'[1:3] }}"
                + " {{ range(3) | list }} {{ 'x' in 'xyz' and 2 not in [1] }} {{ {'k': 1}.get('k') }}";
        String out = JinjaTemplate.parse(src).render(JinjaTemplate.vars("messages", List.of(
                java.util.Map.of("role", "system", "content", "s"),
                java.util.Map.of("role", "tool", "content", "t"),
                java.util.Map.of("role", "user", "content", "u\"q"))));
        assertEquals("2 True 3 U\"Q system,tool,user no True 3 1 ab1 {\"role\": \"system\", \"content\": \"s\"} [1, 'a', None, True] ['a', 'b'] el"
                + " [0, 1, 2] True 1", out.replace("{\"content\": \"s\", \"role\": \"system\"}", "{\"role\": \"system\", \"content\": \"s\"}"));
    }

    @Test
    void macrosLoopControlsAndSetBlocks() {
        String src = "{% macro show(m, prefix='> ') %}{{ prefix }}{{ m }}{% endmacro %}"
                + "{% for i in range(10) %}{% if i == 1 %}{% continue %}{% endif %}{% if i > 3 %}{% break %}{% endif %}{{ show(i) }};{% endfor %}"
                + "{% set block %}B{{ 1 + 1 }}{% endset %}{{ block }}{% for x in [] %}x{% else %}empty{% endfor %}";
        assertEquals("> 0;> 2;> 3;B2empty", JinjaTemplate.parse(src).render(JinjaTemplate.vars()));
    }

    @Test
    void syntaxErrorsNameTheLine() {
        JinjaTemplate.JinjaException e = assertThrows(JinjaTemplate.JinjaException.class, () -> JinjaTemplate.parse("ok\n{% for x in %}"));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertThrows(JinjaTemplate.JinjaException.class, () -> JinjaTemplate.parse("{% if x %}never closed"));
        assertThrows(JinjaTemplate.JinjaException.class, () -> JinjaTemplate.parse("{% include 'x' %}"));
    }

    /** Conversations that exercise the default template: system turns, multi-line and odd content, many turns. */
    static final List<List<ChatTemplate.Turn>> CONVERSATIONS = List.of(
            CHAT,
            List.of(new ChatTemplate.Turn("user", "hi")),
            List.of(new ChatTemplate.Turn("system", "Judge carefully.\nAnswer [[A]] or [[B]]."), new ChatTemplate.Turn("user", "Q?\n\nA: x\nB: y"),
                    new ChatTemplate.Turn("assistant", "[[A]]")),
            List.of(new ChatTemplate.Turn("system", ""), new ChatTemplate.Turn("user", "  {{ not a tag }} {% nor this %} 日本 🦙\t"),
                    new ChatTemplate.Turn("assistant", "\n"), new ChatTemplate.Turn("user", "again")),
            List.of(new ChatTemplate.Turn("user", "a"), new ChatTemplate.Turn("assistant", "b"), new ChatTemplate.Turn("user", "c"),
                    new ChatTemplate.Turn("assistant", "d"), new ChatTemplate.Turn("user", "e")));

    @Test
    void defaultSourceRendersLikeTheEnginesDefaultTemplate() {
        ChatTemplate jinja = JinjaChatTemplate.defaultTemplate();
        assertEquals("<|user|>\nhi\n<|assistant|>\n", jinja.render(List.of(new ChatTemplate.Turn("user", "hi")), true));
        for (List<ChatTemplate.Turn> chat : CONVERSATIONS) {
            for (boolean gen : new boolean[] {true, false}) assertEquals(DefaultChatTemplate.INSTANCE.render(chat, gen), jinja.render(chat, gen));
        }
    }

    /**
     * The independent oracle: Python's jinja2 set up as transformers' apply_chat_template sets it up
     * (sandboxed, trim_blocks, lstrip_blocks, loop controls) renders the written default template to
     * exactly DefaultChatTemplate's text. Skipped when python3 with jinja2 is not installed.
     */
    @Test
    void defaultSourceRendersTheSameInPythonJinja2AsTransformersUsesIt() throws Exception {
        String py = """
                import json, sys
                try:
                    from jinja2.sandbox import ImmutableSandboxedEnvironment
                    from jinja2.ext import loopcontrols
                except ImportError:
                    sys.exit(3)
                job = json.load(sys.stdin)
                env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
                t = env.from_string(job["template"])
                out = [t.render(messages=c, add_generation_prompt=g, bos_token="<s>", eos_token="</s>") for c in job["chats"] for g in (True, False)]
                json.dump(out, sys.stdout)
                """;
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var job = json.createObjectNode();
        job.put("template", JinjaChatTemplate.DEFAULT_SOURCE);
        var chats = job.putArray("chats");
        for (List<ChatTemplate.Turn> chat : CONVERSATIONS) {
            var a = chats.addArray();
            for (ChatTemplate.Turn t : chat) a.addObject().put("role", t.role()).put("content", t.content());
        }
        Process p;
        try {
            p = new ProcessBuilder("python3", "-c", py).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.abort("python3 not found: " + e.getMessage());
            return;
        }
        try (var in = p.getOutputStream()) { in.write(json.writeValueAsBytes(job)); }
        byte[] out = p.getInputStream().readAllBytes();
        int code = p.waitFor();
        org.junit.jupiter.api.Assumptions.assumeTrue(code != 3, "python3 has no jinja2 (Debian: python3-jinja2)");
        assertEquals(0, code, "python3 jinja2 render failed");
        var rendered = json.readTree(out);
        int i = 0;
        for (List<ChatTemplate.Turn> chat : CONVERSATIONS) {
            for (boolean gen : new boolean[] {true, false}) {
                assertEquals(DefaultChatTemplate.INSTANCE.render(chat, gen), rendered.get(i++).asText(), "jinja2, add_generation_prompt=" + gen + ": " + chat);
            }
        }
    }
}
