package dev.selftaught.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.Collection;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Keeps secrets out of every output: values under secret-looking keys ({@code api_key},
 * {@code token}, {@code password}, ...) and any occurrence of a known secret value are replaced
 * by {@value #MASK}. Keys naming where a secret lives ({@code api_key_env}) are not secrets.
 */
public final class Redact {
    public static final String MASK = "<redacted>";

    /** Secret values shorter than this are not searched for in text (too many false hits). */
    static final int MIN_SECRET_LENGTH = 4;

    private static final Pattern SECRET_KEY = Pattern.compile(
            "(.*_)?(api_?key|apikey|secret|password|passwd|access_token|auth_token|api_token|hf_token|bearer_token|access_key|secret_key|private_key)"
                    + "|key|token|authorization|bearer|credentials?");
    private static final Pattern SECRET_NAME = Pattern.compile(".*(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL).*");

    private Redact() {}

    /** True when a config key holds a secret itself (e.g. {@code api_key}, {@code hf-token}). */
    public static boolean isSecretKey(String key) {
        String k = key.toLowerCase(Locale.ROOT).replace('-', '_');
        return SECRET_KEY.matcher(k).matches();
    }

    /** True when an environment variable's name suggests it holds a secret. */
    public static boolean isSecretName(String envName) {
        return SECRET_NAME.matcher(envName.toUpperCase(Locale.ROOT)).matches();
    }

    /** A redacted deep copy of a config tree (the input is not modified). */
    public static JsonNode config(JsonNode tree, Collection<String> secrets) {
        JsonNode copy = tree.deepCopy();
        redactInPlace(copy, secrets);
        return copy;
    }

    /**
     * {@code text} with the user info of every URL in it ({@code http://user:pass@host}) replaced
     * by {@value #MASK}: credentials in a model URL are never written to outputs, stores or logs.
     */
    public static String urls(String text) {
        return dev.selftaught.data.UrlUserInfo.redact(text);
    }

    /** {@code text} with every occurrence of every secret, and every URL's user info, replaced. */
    public static String text(String text, Collection<String> secrets) {
        if (text == null) return null;
        String out = urls(text);
        for (String s : secrets) {
            if (s != null && s.length() >= MIN_SECRET_LENGTH) out = out.replace(s, MASK);
        }
        return out;
    }

    private static void redactInPlace(JsonNode node, Collection<String> secrets) {
        if (node instanceof ObjectNode obj) {
            for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                if (isSecretKey(e.getKey()) && v.isValueNode() && !v.isNull()) e.setValue(TextNode.valueOf(MASK));
                else if (v instanceof TextNode t) e.setValue(TextNode.valueOf(text(t.asText(), secrets)));
                else redactInPlace(v, secrets);
            }
        } else if (node instanceof ArrayNode arr) {
            for (int i = 0; i < arr.size(); i++) {
                if (arr.get(i) instanceof TextNode t) arr.set(i, TextNode.valueOf(text(t.asText(), secrets)));
                else redactInPlace(arr.get(i), secrets);
            }
        }
    }
}
