package dev.selftaught.eval;

import dev.selftaught.data.InputError;
import dev.selftaught.data.ChatMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An immutable judge prompt template: an optional system message and a user message with
 * {@code {slot}} placeholders. {@link #render} builds fresh strings on every call and never
 * changes the template (the reference code once mutated a shared template so that every
 * prompt after the first was identical; this class cannot do that).
 *
 * <h2>Template file format</h2>
 * Plain UTF-8 text. A line {@code <<<system>>>} starts the system message and a line
 * {@code <<<user>>>} starts the user message; without these marker lines the whole file is the
 * user message (no system message). Slots:
 * <ul>
 *   <li>{@code {input}} — the user question (the last user turn);</li>
 *   <li>{@code {response_a}}, {@code {response_b}} — the answers shown as Assistant A and B
 *       (the method's own prompt files call them {@code {generation}} and {@code {generation2}};
 *       those names are accepted too);</li>
 *   <li>{@code {conversation_a}}, {@code {conversation_b}} — multi-turn templates only: each
 *       assistant's whole conversation, rendered as {@code ### User:} / {@code ### Assistant A:}
 *       blocks.</li>
 * </ul>
 * Substitution is a single pass: text inside a substituted value is never scanned again, so a
 * response that itself contains {@code {response_b}} is shown literally. Braces that do not
 * name a slot are left as they are.
 *
 * @param name   short name for metrics files (built-in name or the file path)
 * @param system system message template, or null for none
 * @param user   user message template
 */
public record JudgeTemplate(String name, String system, String user) {

    public static final String SYSTEM_MARKER = "<<<system>>>";
    public static final String USER_MARKER = "<<<user>>>";

    /** Every slot name a template may use (with the method's aliases). */
    public static final Set<String> SLOTS = Set.of("input", "response_a", "response_b",
            "generation", "generation2", "conversation_a", "conversation_b");

    private static final Pattern SLOT = Pattern.compile("\\{([a-z_0-9]+)}");

    public JudgeTemplate {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(user, "user");
    }

    /** True when the template shows whole conversations ({@code {conversation_a}}) rather than one answer. */
    public boolean isMultiTurn() { return slotsUsed().contains("conversation_a"); }

    /** The slot names that occur in the system or user text. */
    public Set<String> slotsUsed() {
        Set<String> used = new TreeSet<>();
        for (String part : system == null ? List.of(user) : List.of(system, user)) {
            Matcher m = SLOT.matcher(part);
            while (m.find()) if (SLOTS.contains(m.group(1))) used.add(m.group(1));
        }
        return used;
    }

    /**
     * Renders the messages for one call. {@code values} maps slot names (without aliases) to
     * text; {@code generation}/{@code generation2} are filled from {@code response_a}/{@code response_b}.
     */
    public List<ChatMessage> render(Map<String, String> values) {
        List<ChatMessage> out = new ArrayList<>(2);
        if (system != null) out.add(ChatMessage.system(fill(system, values)));
        out.add(ChatMessage.user(fill(user, values)));
        return List.copyOf(out);
    }

    private static String fill(String text, Map<String, String> values) {
        Matcher m = SLOT.matcher(text);
        StringBuilder sb = new StringBuilder(text.length() + 256);
        int last = 0;
        while (m.find()) {
            String key = switch (m.group(1)) {
                case "generation" -> "response_a";
                case "generation2" -> "response_b";
                default -> m.group(1);
            };
            String v = SLOTS.contains(m.group(1)) ? values.get(key) : null;
            if (v == null) continue; // not a slot, or no value given: leave the braces as written
            sb.append(text, last, m.start()).append(v);
            last = m.end();
        }
        sb.append(text, last, text.length());
        return sb.toString();
    }

    /** Parses template text in the file format described above. */
    public static JudgeTemplate parse(String name, String text) {
        String t = text.replace("\r\n", "\n");
        int s = lineIndex(t, SYSTEM_MARKER), u = lineIndex(t, USER_MARKER);
        if (s < 0 && u < 0) return new JudgeTemplate(name, null, t);
        if (u < 0) throw new InputError(name + ": has a " + SYSTEM_MARKER + " line but no " + USER_MARKER
                + " line; add a " + USER_MARKER + " line before the user message");
        String user = afterMarkerLine(t, u, USER_MARKER);
        String system = null;
        if (s >= 0) {
            if (s > u) throw new InputError(name + ": " + SYSTEM_MARKER + " must come before " + USER_MARKER);
            system = stripOneNewline(t.substring(s + SYSTEM_MARKER.length(), u));
            if (system.startsWith("\n")) system = system.substring(1);
        }
        return new JudgeTemplate(name, system, user);
    }

    /** Reads a template file; checks it has the slots a pairwise judge needs. */
    public static JudgeTemplate load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InputError(file + ": cannot read the template (" + e.getMessage() + ")");
        }
        JudgeTemplate t = parse(file.toString(), text);
        t.requireSlots();
        return t;
    }

    /** A built-in template shipped as a resource: pair-v2, pair-v2-multi-turn or eval-plan. */
    public static JudgeTemplate builtin(String name) {
        String res = "prompts/" + name + ".txt";
        try (InputStream in = JudgeTemplate.class.getResourceAsStream(res)) {
            if (in == null) throw new InputError("unknown built-in judge template '" + name
                    + "'; use pair-v2, pair-v2-multi-turn or eval-plan, or give a template file");
            return parse(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fails with an {@link InputError} unless the template can show both answers. */
    public void requireSlots() {
        Set<String> used = slotsUsed();
        boolean single = (used.contains("response_a") || used.contains("generation"))
                && (used.contains("response_b") || used.contains("generation2"));
        boolean multi = used.contains("conversation_a") && used.contains("conversation_b");
        if (!single && !multi) {
            throw new InputError(name + ": a judge template needs the slots {response_a} and {response_b} "
                    + "(and usually {input}), or {conversation_a} and {conversation_b} for multi-turn; found "
                    + (used.isEmpty() ? "none" : used));
        }
    }

    private static int lineIndex(String t, String marker) {
        int from = 0;
        while (true) {
            int i = t.indexOf(marker, from);
            if (i < 0) return -1;
            boolean startOfLine = i == 0 || t.charAt(i - 1) == '\n';
            int end = i + marker.length();
            boolean endOfLine = end == t.length() || t.charAt(end) == '\n';
            if (startOfLine && endOfLine) return i;
            from = i + 1;
        }
    }

    private static String afterMarkerLine(String t, int at, String marker) {
        int end = at + marker.length();
        return end < t.length() ? t.substring(end + 1) : "";
    }

    private static String stripOneNewline(String s) {
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }
}
