package dev.selftaught.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.selftaught.data.InputError;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in every string value of a config tree
 * ({@code $${} is a literal {@code ${}}). Substitution happens after YAML parsing, so a value
 * holding YAML syntax cannot change the structure. Values substituted from variables that look
 * secret (name or key contains KEY, TOKEN, SECRET, PASSWORD) are collected for redaction.
 */
final class EnvSubstitution {
    private static final Pattern VAR = Pattern.compile("\\$\\$\\{|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final Path file;
    private final LocatedYaml located;
    private final Function<String, String> env;
    private final Set<String> secrets;

    EnvSubstitution(Path file, LocatedYaml located, Function<String, String> env, Set<String> secrets) {
        this.file = file;
        this.located = located;
        this.env = env;
        this.secrets = secrets;
    }

    void apply(JsonNode node, String path) {
        if (node instanceof ObjectNode obj) {
            for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String child = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                if (e.getValue() instanceof TextNode t) e.setValue(TextNode.valueOf(substitute(t.asText(), child, e.getKey())));
                else apply(e.getValue(), child);
            }
        } else if (node instanceof ArrayNode arr) {
            for (int i = 0; i < arr.size(); i++) {
                String child = path + "[" + i + "]";
                if (arr.get(i) instanceof TextNode t) arr.set(i, TextNode.valueOf(substitute(t.asText(), child, null)));
                else apply(arr.get(i), child);
            }
        }
    }

    private String substitute(String value, String path, String key) {
        if (!value.contains("${")) return value;
        Matcher m = VAR.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().equals("$${")) {
                replacement = "${";
            } else {
                String name = m.group(1);
                String v = env.apply(name);
                if (v == null || v.isEmpty() && m.group(2) != null) {
                    if (m.group(2) == null) {
                        throw InputError.at(file, located.lineOf(path), path,
                                "environment variable " + name + " is not set; export it, or write ${" + name + ":-default}");
                    }
                    replacement = m.group(2);
                } else {
                    replacement = v;
                    if (!v.isEmpty() && (Redact.isSecretName(name) || key != null && Redact.isSecretKey(key))) secrets.add(v);
                }
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
