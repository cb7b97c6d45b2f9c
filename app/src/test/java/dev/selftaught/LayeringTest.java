package dev.selftaught;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.selftaught.engine.model.LlamaConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Enforces the package layering that docs/architecture.md states, for both modules: the tables
 * are read from the document itself, so the document and the check cannot drift apart.
 */
class LayeringTest {
    static final Path DOC = Path.of("../docs/architecture.md");

    @Test
    void docTablesAreLayered() throws IOException {
        for (Layering l : List.of(Layering.fromDoc(DOC, "engine"), Layering.fromDoc(DOC, "app"))) {
            assertTrue(l.rows().size() >= 8, "too few rows read for " + l.root() + ": " + l.rows().keySet());
            assertEquals(List.of(), l.cycles(), "the table for " + l.root() + " in " + DOC + " has a cycle");
        }
    }

    @Test
    void engineFollowsTheDocumentedLayering() throws IOException {
        Layering engine = Layering.fromDoc(DOC, "engine");
        List<String> v = withClasses(classRoot(LlamaConfig.class), engine::violations);
        assertEquals(List.of(), v, "engine dependencies against " + DOC + ":\n" + String.join("\n", v));
    }

    @Test
    void appFollowsTheDocumentedLayering() throws IOException {
        Layering app = Layering.fromDoc(DOC, "app");
        List<String> v = withClasses(classRoot(dev.selftaught.data.InputError.class), app::violations);
        assertEquals(List.of(), v, "app dependencies against " + DOC + ":\n" + String.join("\n", v));
    }

    /**
     * The check can fail: a compiled fixture where the bottom package refers upwards (once through
     * a field type, once only through a generic signature) and a third package no row names.
     */
    @Test
    void reportsUpwardReferencesAndUnknownPackages(@TempDir Path tmp) throws IOException {
        Path src = tmp.resolve("src"), out = tmp.resolve("classes");
        write(src, "fix/low/Low.java", "package fix.low; public class Low { fix.high.High up; }");
        write(src, "fix/low/Generic.java", "package fix.low; public class Generic { java.util.List<fix.high.High> ups; }");
        write(src, "fix/high/High.java", "package fix.high; public class High { fix.low.Low down; }");
        write(src, "fix/stray/Stray.java", "package fix.stray; public class Stray {}");
        Files.createDirectories(out);
        List<String> files;
        try (var s = Files.walk(src)) {
            files = s.filter(p -> p.toString().endsWith(".java")).map(Path::toString).collect(Collectors.toList());
        }
        files.addAll(0, List.of("-d", out.toString()));
        assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, files.toArray(String[]::new)));

        Layering fixture = new Layering("fix", Map.of("low", List.of(), "high", List.of("low")));
        List<String> v = fixture.violations(out);
        assertEquals(List.of(
                "fix.low.Generic -> fix.high.High (low may not use high)",
                "fix.low.Low -> fix.high.High (low may not use high)",
                "fix.stray.Stray: package fix.stray has no row in the layering table"), v);

        Layering cyclic = new Layering("fix", Map.of("low", List.of("high"), "high", List.of("low")));
        assertEquals(List.of("high -> low -> high"), cyclic.cycles());
    }

    private interface Check { List<String> apply(Path classes) throws IOException; }

    /** Runs the check over a classes directory, or over a jar when the reactor resolved one. */
    private static List<String> withClasses(Path location, Check check) throws IOException {
        if (Files.isDirectory(location)) return check.apply(location);
        try (FileSystem jar = FileSystems.newFileSystem(URI.create("jar:" + location.toUri()), Map.of())) {
            return check.apply(jar.getPath("/"));
        }
    }

    private static Path classRoot(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path root, String rel, String text) throws IOException {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }
}
