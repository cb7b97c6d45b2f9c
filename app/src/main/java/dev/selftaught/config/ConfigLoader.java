package dev.selftaught.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.selftaught.data.DidYouMean;
import dev.selftaught.data.InputError;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Loads a YAML config file into a Java record (or any Jackson-bindable class), validated on load:
 * an unknown key, a wrong type, a duplicate key, an unset {@code ${VAR}} or a value the record's
 * constructor rejects is an {@link InputError} naming the file, the line and the key path
 * ({@code run.yaml:12: field 'annotate.samples': expected an integer, got "many"}).
 *
 * <p>Missing keys bind as null / 0 / false, so records give defaults in their compact
 * constructor; mark a component {@code @JsonProperty(required = true)} to make it mandatory.
 */
public final class ConfigLoader {

    /** Strict binding: unknown keys and floats for integers are errors; a missing primitive is 0. */
    private static final ObjectMapper BINDER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build();

    private static final YAMLMapper YAML_OUT = YAMLMapper.builder(
                    YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build())
            .build();

    private ConfigLoader() {}

    /**
     * A loaded config: the bound value, the resolved tree (after {@code ${VAR}} substitution, still
     * holding secrets — never write it out) and the secret values found while substituting.
     */
    public record Loaded<T>(Path file, T value, ObjectNode tree, Set<String> secrets, Map<String, Integer> keyLines) {
        public Loaded {
            secrets = Set.copyOf(secrets);
            keyLines = Map.copyOf(keyLines);
        }

        /** The line of a key path ({@code train.settings.lr}) or of its nearest enclosing key; 0 when unknown. */
        public int lineOf(String path) {
            return LocatedYaml.lineOf(keyLines, path);
        }

        /** The resolved tree with secrets masked: safe for manifests and logs. */
        public JsonNode redactedTree() {
            return Redact.config(tree, secrets);
        }

        /** {@link #redactedTree()} as YAML text (for {@code run.yaml}). */
        public String redactedYaml() {
            return toYaml(redactedTree());
        }
    }

    /** Loads and binds {@code file}, substituting variables from the process environment. */
    public static <T> T load(Path file, Class<T> type) {
        return loadResolved(file, type, System::getenv).value();
    }

    /** Like {@link #load(Path, Class)} but also returns the resolved tree and the secrets. */
    public static <T> Loaded<T> loadResolved(Path file, Class<T> type) {
        return loadResolved(file, type, System::getenv);
    }

    /** Loading with an explicit environment (tests, or a caller with its own variables). */
    public static <T> Loaded<T> loadResolved(Path file, Class<T> type, Function<String, String> env) {
        return bind(file, LocatedYaml.parse(file), type, env, List.of());
    }

    /**
     * Loads with command-line overrides {@code KEY.PATH=VALUE} applied after substitution; VALUE
     * is read as a YAML scalar or flow collection ({@code 8}, {@code true}, {@code [a, b]}).
     */
    public static <T> Loaded<T> loadResolved(Path file, Class<T> type, Function<String, String> env, List<String> overrides) {
        return bind(file, LocatedYaml.parse(file), type, env, overrides);
    }

    /** Parses YAML text (no file) into {@code type}; {@code name} stands for the file in errors. */
    public static <T> T fromYaml(String name, String yaml, Class<T> type) {
        Path p = Path.of(name);
        return bind(p, LocatedYaml.parse(p, new StringReader(yaml)), type, System::getenv, List.of()).value();
    }

    /** Writes a tree as YAML. */
    public static String toYaml(JsonNode tree) {
        try {
            return YAML_OUT.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write YAML", e);
        }
    }

    private static <T> Loaded<T> bind(Path file, LocatedYaml located, Class<T> type, Function<String, String> env,
                                      Collection<String> overrides) {
        Set<String> secrets = new HashSet<>();
        ObjectNode tree = located.tree();
        new EnvSubstitution(file, located, env, secrets).apply(tree, "");
        for (String o : overrides) Overrides.apply(tree, o);
        try {
            return new Loaded<>(file, BINDER.treeToValue(tree, type), tree, secrets, located.lines());
        } catch (JsonMappingException e) {
            String path = path(e);
            throw InputError.at(file, located.lineOf(path), path.isEmpty() ? null : path, Redact.text(problem(e), secrets));
        } catch (JsonProcessingException e) {
            throw InputError.at(file, 0, null, Redact.text(e.getOriginalMessage(), secrets));
        }
    }

    /** "annotate.samples" or "endpoints[1].url" from Jackson's reference chain. */
    static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (!sb.isEmpty()) sb.append('.');
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String problem(JsonMappingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            List<String> known = u.getKnownPropertyIds() == null ? List.of()
                    : u.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList();
            return "unknown key" + DidYouMean.hint(u.getPropertyName(), known);
        }
        if (e instanceof ValueInstantiationException v) {
            Throwable c = v.getCause() == null ? v : v.getCause();
            return "invalid value: " + (c.getMessage() == null ? c.toString() : c.getMessage());
        }
        if (e instanceof InvalidFormatException f) {
            return "expected " + typeName(f.getTargetType()) + ", got " + describe(f.getValue());
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            String msg = m.getOriginalMessage();
            if (msg != null && msg.startsWith("Missing required creator property")) return "missing (required)";
            if (msg != null && msg.contains("null")) return "must not be null";
            return "expected " + typeName(m.getTargetType()) + "; " + shortMessage(msg);
        }
        return shortMessage(e.getOriginalMessage());
    }

    private static String describe(Object v) {
        return v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
    }

    private static String typeName(Class<?> c) {
        if (c == null) return "another type";
        if (c == int.class || c == Integer.class || c == long.class || c == Long.class) return "an integer";
        if (c == double.class || c == Double.class || c == float.class || c == Float.class) return "a number";
        if (c == boolean.class || c == Boolean.class) return "true or false";
        if (c == String.class) return "a string";
        if (java.util.Collection.class.isAssignableFrom(c) || c.isArray()) return "a list";
        if (java.util.Map.class.isAssignableFrom(c) || c.isRecord()) return "a mapping";
        if (c.isEnum()) {
            return "one of " + String.join(", ", java.util.Arrays.stream(c.getEnumConstants()).map(String::valueOf).toList());
        }
        return "a " + c.getSimpleName();
    }

    private static String shortMessage(String msg) {
        if (msg == null) return "invalid value";
        String s = msg.replaceAll("\\s+", " ").trim();
        return s.length() > 200 ? s.substring(0, 197) + "..." : s;
    }
}
