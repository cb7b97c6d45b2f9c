package dev.selftaught.pipeline;

import dev.selftaught.data.InputError;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An immutable prompt text with {@code {slot}} placeholders. Rendering builds a new string in one
 * pass and never changes the template, so a value that itself contains "{slot}" is not expanded
 * again and every call gets its own prompt (the RAM PR #17 defect cannot happen here).
 */
public record PromptTemplate(String name, String text) {
    private static final Pattern SLOT = Pattern.compile("\\{([a-z_][a-z0-9_]*)}");

    /** Slot names in order of first appearance. */
    public Set<String> slots() {
        Set<String> s = new LinkedHashSet<>();
        Matcher m = SLOT.matcher(text);
        while (m.find()) s.add(m.group(1));
        return s;
    }

    /** Fails with a clear message when the template lacks a slot the stage fills. */
    public PromptTemplate requireSlots(String... required) {
        Set<String> have = slots();
        for (String r : required) {
            if (!have.contains(r)) {
                throw new InputError(name + ": prompt template has no {" + r + "} slot (it needs: "
                        + String.join(", ", java.util.Arrays.stream(required).map(x -> "{" + x + "}").toList()) + ")");
            }
        }
        return this;
    }

    /** Substitutes every known slot; unknown {words} are left as they are (prompts may contain braces). */
    public String render(Map<String, String> values) {
        Matcher m = SLOT.matcher(text);
        StringBuilder out = new StringBuilder(text.length() + 256);
        while (m.find()) {
            String v = values.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(v != null ? v : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** A template shipped in this package's resources. */
    public static PromptTemplate resource(String fileName) {
        try (InputStream in = PromptTemplate.class.getResourceAsStream(fileName)) {
            if (in == null) throw new IllegalStateException("missing resource " + fileName);
            return new PromptTemplate(fileName, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A user-supplied template file. */
    public static PromptTemplate file(Path file) {
        try {
            return new PromptTemplate(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new InputError(file + ": cannot read prompt template: " + e.getMessage(), e);
        }
    }

    /** The configured file when given, else the shipped default. */
    public static PromptTemplate fileOrDefault(String path, String resource) {
        return path == null || path.isBlank() ? resource(resource) : file(Path.of(path));
    }
}
