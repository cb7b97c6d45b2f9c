package dev.selftaught.engine.chat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small Jinja2 renderer: the subset HF chat templates use (Llama-2, Llama-3.x, Qwen2, Mistral,
 * ChatML, Zephyr...). Rendering follows HF's {@code apply_chat_template} environment:
 * {@code trim_blocks} and {@code lstrip_blocks} on, loop controls enabled.
 *
 * <p>Supported: {@code {{ }}}, {@code {% if/elif/else %}}, {@code {% for x in xs if cond %}} with
 * {@code else} and {@code loop.*}, {@code {% set %}} (also {@code ns.attr} and block form),
 * {@code {% macro %}}, {@code break/continue}, comments, whitespace control {@code -}/{@code +};
 * expressions with literals, lists, dicts, attribute/subscript/slice access, calls, filters, tests,
 * {@code if/else} expressions, arithmetic, {@code ~}, comparisons, {@code in}, {@code and/or/not};
 * globals {@code range}, {@code namespace}, {@code raise_exception}, {@code strftime_now}.
 * Unknown constructs fail at parse time with the template line.
 */
public final class JinjaTemplate {
    private final List<JinjaNodes.Node> body;

    private JinjaTemplate(List<JinjaNodes.Node> body) { this.body = body; }

    /** Parses a template; throws {@link JinjaException} naming the line of a syntax error. */
    public static JinjaTemplate parse(String source) {
        List<JinjaLexer.Token> tokens = JinjaLexer.lex(source);
        JinjaParser p = new JinjaParser(tokens);
        List<JinjaNodes.Node> nodes = p.parseBody(Set.of());
        if (p.hasMore()) throw new JinjaException("line " + p.peekLine() + ": unexpected {% " + p.peekTag() + " %}");
        return new JinjaTemplate(nodes);
    }

    /** Renders with the given variables (Java Strings, Numbers, Booleans, Lists, Maps, null). */
    public String render(Map<String, Object> variables) {
        JinjaRuntime.Scope scope = new JinjaRuntime.Scope(null);
        JinjaRuntime.installGlobals(scope);
        for (Map.Entry<String, Object> e : variables.entrySet()) scope.set(e.getKey(), e.getValue());
        StringBuilder out = new StringBuilder();
        JinjaNodes.renderAll(body, scope, out);
        return out.toString();
    }

    /** Convenience for building variable maps. */
    public static Map<String, Object> vars(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    /** Template syntax or runtime error (including {@code raise_exception}). */
    public static final class JinjaException extends RuntimeException {
        public JinjaException(String message) { super(message); }
    }

    static List<Object> list(Object... xs) { return new ArrayList<>(List.of(xs)); }
}
