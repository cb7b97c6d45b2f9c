package dev.selftaught.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.selftaught.data.InputError;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Parses a YAML file into a JSON tree and remembers the line of every key path
 * ({@code annotate.samples}, {@code endpoints[1].url}), so later validation errors can name the
 * line as well as the key. Aliases ({@code *name}) are resolved to a copy of their anchor's value
 * ({@code &name}); an alias without an anchor before it, and merge keys ({@code <<}), are errors
 * with the file and line.
 */
record LocatedYaml(ObjectNode tree, Map<String, Integer> lines) {
    private static final YAMLFactory YAML = new YAMLFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The line of {@code path} or of its nearest enclosing key, 0 when unknown. */
    int lineOf(String path) {
        return lineOf(lines, path);
    }

    /** The same over a recorded path → line map. */
    static int lineOf(Map<String, Integer> lines, String path) {
        for (String p = path; p != null && !p.isEmpty(); p = parent(p)) {
            Integer l = lines.get(p);
            if (l != null) return l;
        }
        return 0;
    }

    private static String parent(String p) {
        int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
        return cut <= 0 ? null : p.substring(0, cut);
    }

    static LocatedYaml parse(Path file) {
        String text;
        try {
            byte[] bytes = Files.readAllBytes(file);
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw InputError.at(file, 0, null, "no such file");
        } catch (CharacterCodingException e) {
            throw InputError.at(file, 0, null, "invalid UTF-8; re-encode the file as UTF-8");
        } catch (IOException e) {
            throw InputError.at(file, 0, null, "cannot read: " + e.getMessage());
        }
        return parse(file, new java.io.StringReader(text));
    }

    static LocatedYaml parse(Path file, Reader reader) {
        Map<String, Integer> lines = new HashMap<>();
        String text;
        try {
            text = readAll(reader);
        } catch (IOException e) {
            throw InputError.at(file, 0, null, "cannot read: " + e.getMessage());
        }
        Anchors anchors = new Anchors(scalarAnchors(file, text));
        try (JsonParser p = YAML.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) throw InputError.at(file, 0, null, "the config file is empty; write at least {} or the keys you need");
            if (t != JsonToken.START_OBJECT) {
                throw InputError.at(file, p.currentTokenLocation().getLineNr(), null, "expected a mapping of keys at the top level");
            }
            ObjectNode root = (ObjectNode) read(p, "", lines, file, anchors);
            if (p.nextToken() != null) throw InputError.at(file, p.currentTokenLocation().getLineNr(), null, "more than one YAML document; use one");
            return new LocatedYaml(root, lines);
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            String msg = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage();
            throw InputError.at(file, line, null, "malformed YAML: " + msg.replaceAll("\\s+", " ").trim());
        } catch (IOException e) {
            throw InputError.at(file, 0, null, "cannot read: " + e.getMessage());
        }
    }

    /**
     * YAML anchors seen so far ({@code &name}) and the nodes they name, so that an alias
     * ({@code *name}) stands for a copy of that node, as YAML defines it. Copies are counted: an
     * alias "bomb" (aliases of aliases, doubling at each level) is refused, not expanded.
     */
    private static final class Anchors {
        static final long MAX_NODES = 1_000_000;
        final Map<String, JsonNode> byName = new HashMap<>();
        /** Anchors of scalars by the scalar's character offset (Jackson reports only collections' anchors). */
        final Map<Long, String> scalarAnchors;
        long nodes;

        Anchors(Map<Long, String> scalarAnchors) { this.scalarAnchors = scalarAnchors; }

        void count(Path file, int line, long n) {
            nodes += n;
            if (nodes > MAX_NODES) throw InputError.at(file, line, null, "more than " + MAX_NODES + " values after expanding YAML aliases; expand them by hand if this is intended");
        }
    }

    /** Reads the value whose first token is current (resolving aliases, recording anchors) and the line of every key below it. */
    private static JsonNode read(JsonParser p, String path, Map<String, Integer> lines, Path file, Anchors anchors) throws IOException {
        int line = p.currentTokenLocation().getLineNr();
        if (p instanceof com.fasterxml.jackson.dataformat.yaml.YAMLParser y && y.isCurrentAlias()) {
            JsonNode target = anchors.byName.get(p.getText());
            if (target == null) {
                throw InputError.at(file, line, path.isEmpty() ? null : path, "YAML alias *" + p.getText()
                        + " names no anchor defined before it (&" + p.getText() + ")");
            }
            anchors.count(file, line, size(target));
            return target.deepCopy();
        }
        String anchor = p.currentToken().isScalarValue()
                ? anchors.scalarAnchors.get(p.currentTokenLocation().getCharOffset())
                : p.getObjectId() instanceof String id ? id : null;
        JsonNode node = readValue(p, path, lines, file, anchors);
        anchors.count(file, line, 1);
        if (anchor != null) anchors.byName.put(anchor, node);
        return node;
    }

    private static String readAll(Reader r) throws IOException {
        StringBuilder sb = new StringBuilder();
        char[] buf = new char[8192];
        for (int n; (n = r.read(buf)) > 0; ) sb.append(buf, 0, n);
        return sb.toString();
    }

    /** The anchors of scalar values ({@code key: &name value}) by character offset, from SnakeYAML's event stream. */
    private static Map<Long, String> scalarAnchors(Path file, String text) {
        Map<Long, String> out = new HashMap<>();
        if (text.indexOf('&') < 0) return out;
        try {
            for (org.yaml.snakeyaml.events.Event e : new org.yaml.snakeyaml.Yaml().parse(new java.io.StringReader(text))) {
                if (e instanceof org.yaml.snakeyaml.events.ScalarEvent sc && sc.getAnchor() != null) {
                    out.put((long) sc.getStartMark().getIndex(), sc.getAnchor());
                }
            }
        } catch (RuntimeException e) {
            // malformed YAML: the main parse below reports it with its line
        }
        return out;
    }

    private static long size(JsonNode n) {
        long s = 1;
        for (JsonNode c : n) s += size(c);
        return s;
    }

    private static JsonNode readValue(JsonParser p, String path, Map<String, Integer> lines, Path file, Anchors anchors) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                ObjectNode obj = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    String child = path.isEmpty() ? key : path + "." + key;
                    int line = p.currentTokenLocation().getLineNr();
                    if (obj.has(key)) throw InputError.at(file, line, child, "duplicate key");
                    if (key.equals("<<")) {
                        throw InputError.at(file, line, child, "YAML merge keys (<<: *anchor) are not supported; write the keys out, or use an alias as a whole value (key: *anchor)");
                    }
                    lines.put(child, line);
                    p.nextToken();
                    obj.set(key, read(p, child, lines, file, anchors));
                }
                return obj;
            }
            case START_ARRAY -> {
                ArrayNode arr = NODES.arrayNode();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    String child = path + "[" + i++ + "]";
                    lines.put(child, p.currentTokenLocation().getLineNr());
                    arr.add(read(p, child, lines, file, anchors));
                }
                return arr;
            }
            case VALUE_STRING -> { return NODES.textNode(p.getText()); }
            case VALUE_NUMBER_INT -> {
                return switch (p.getNumberType()) {
                    case INT -> NODES.numberNode(p.getIntValue());
                    case LONG -> NODES.numberNode(p.getLongValue());
                    default -> NODES.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> { return NODES.numberNode(p.getDoubleValue()); }
            case VALUE_TRUE -> { return NODES.booleanNode(true); }
            case VALUE_FALSE -> { return NODES.booleanNode(false); }
            case VALUE_NULL -> { return NODES.nullNode(); }
            default -> throw InputError.at(file, p.currentTokenLocation().getLineNr(), path.isEmpty() ? null : path,
                    "unsupported YAML value (" + t + ")");
        }
    }
}
