package dev.selftaught.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.InputError;
import dev.selftaught.pipeline.RunConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** YAML anchors and aliases in config files: resolved as YAML defines them, or refused with file:line. */
class YamlAliasTest {

    @TempDir
    Path dir;

    private Path file(String text) throws Exception {
        Path f = dir.resolve("run.yaml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void anAliasStandsForItsAnchorsValueNotItsName() throws Exception {
        Path f = file("""
                models:
                  seed: &m http://127.0.0.1:8000/v1#judge
                  generator: *m
                select:
                  pool: pool.jsonl
                """);
        RunConfig cfg = RunConfig.load(f);
        assertEquals("http://127.0.0.1:8000/v1#judge", cfg.models().generator(), "before the fix this was \"m\"");
    }

    @Test
    void aliasesOfMappingsAndSequencesAreCopies() throws Exception {
        Path f = file("""
                common: &c
                  temperature: 0.7
                  stop: &s [a, b]
                one: *c
                two:
                  stop: *s
                """);
        ObjectNode t = ConfigLoader.loadResolved(f, ObjectNode.class, Map.<String, String>of()::get).tree();
        assertEquals(0.7, t.get("one").get("temperature").asDouble());
        assertEquals("b", t.get("one").get("stop").get(1).asText());
        assertEquals("a", t.get("two").get("stop").get(0).asText());
        ((ObjectNode) t.get("one")).put("temperature", 1.0);
        assertEquals(0.7, t.get("common").get("temperature").asDouble(), "a copy, not a shared node");
    }

    @Test
    void anUnknownAliasAndAMergeKeyAreErrorsWithFileAndLine() throws Exception {
        Path f = file("a: 1\nb: *nope\n");
        InputError e = assertThrows(InputError.class, () -> ConfigLoader.loadResolved(f, ObjectNode.class, Map.<String, String>of()::get));
        assertTrue(e.getMessage().startsWith(f + ":2:"), e.getMessage());
        assertTrue(e.getMessage().contains("*nope"), e.getMessage());
        Path g = file("base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n");
        InputError m = assertThrows(InputError.class, () -> ConfigLoader.loadResolved(g, ObjectNode.class, Map.<String, String>of()::get));
        assertTrue(m.getMessage().startsWith(g + ":3:") && m.getMessage().contains("merge keys"), m.getMessage());
    }

    @Test
    void anAliasBombIsRefusedNotExpanded() throws Exception {
        StringBuilder sb = new StringBuilder("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i <= 9; i++) {
            sb.append("l").append(i).append(": &l").append(i).append(" [");
            for (int k = 0; k < 10; k++) sb.append(k > 0 ? ", " : "").append("*l").append(i - 1);
            sb.append("]\n");
        }
        Path f = file(sb.toString()); // 10^10 values if expanded
        InputError e = assertThrows(InputError.class, () -> ConfigLoader.loadResolved(f, ObjectNode.class, Map.<String, String>of()::get));
        assertTrue(e.getMessage().contains("after expanding YAML aliases"), e.getMessage());
        assertTrue(e.getMessage().startsWith(f + ":"), e.getMessage());
        assertNotNull(List.of());
    }
}
