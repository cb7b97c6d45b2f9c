package dev.selftaught.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.InputError;

import java.nio.file.Path;

/** Applies one {@code KEY.PATH=VALUE} override (e.g. {@code --set annotate.samples=8}) to a config tree. */
final class Overrides {
    private Overrides() {}

    static void apply(ObjectNode tree, String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) throw new InputError("override '" + assignment + "': expected KEY.PATH=VALUE, e.g. annotate.samples=8");
        String path = assignment.substring(0, eq).trim();
        String raw = assignment.substring(eq + 1);
        JsonNode value;
        if (raw.isEmpty()) {
            value = tree.textNode("");
        } else {
            // Parse the value as YAML so 8 is a number, true a boolean and [a, b] a list.
            ObjectNode wrapper = LocatedYaml.parse(Path.of("override " + path), new java.io.StringReader("v: " + raw)).tree();
            value = wrapper.get("v");
        }
        String[] parts = path.split("\\.");
        ObjectNode node = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            if (parts[i].isEmpty()) throw new InputError("override '" + assignment + "': empty key in " + path);
            JsonNode child = node.get(parts[i]);
            if (child == null || child.isNull()) child = node.putObject(parts[i]);
            if (!(child instanceof ObjectNode obj)) {
                throw new InputError("override '" + assignment + "': " + String.join(".", java.util.Arrays.copyOf(parts, i + 1)) + " is not a mapping");
            }
            node = obj;
        }
        node.set(parts[parts.length - 1], value);
    }
}
