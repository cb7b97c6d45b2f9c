package dev.selftaught.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.selftaught.data.InputError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ConfigLoaderTest {
    enum Mode { fast, full }

    record Annotate(int samples, double temperature, List<String> stop) {
        Annotate {
            if (samples == 0) samples = 8; // default when absent
            if (samples > 100) throw new IllegalArgumentException("samples must be at most 100, got " + samples);
            if (stop == null) stop = List.of();
        }
    }

    record Endpoint(String url, String api_key, String api_key_env) {}

    record RunConfig(@JsonProperty(required = true) String name, Mode mode, Annotate annotate, List<Endpoint> endpoints) {}

    static final Map<String, String> ENV = Map.of("RUN_NAME", "exp-1", "OPENAI_API_KEY", "sk-test-0123456789",
            "HOST", "gpu7", "MY_TOKEN", "tok-abcdef");

    @TempDir
    Path dir;

    private Path yaml(String text) throws IOException {
        Path f = dir.resolve("run.yaml");
        Files.writeString(f, text);
        return f;
    }

    private ConfigLoader.Loaded<RunConfig> load(Path f) {
        return ConfigLoader.loadResolved(f, RunConfig.class, ENV::get);
    }

    private String error(String text) throws IOException {
        Path f = yaml(text);
        InputError e = assertThrows(InputError.class, () -> load(f));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage().substring(f.toString().length());
    }

    @Test
    void loadsWithSubstitutionAndDefaults() throws IOException {
        var loaded = load(yaml("""
                name: ${RUN_NAME}
                mode: full
                annotate:
                  temperature: 0.7
                  stop: ["</s>"]
                endpoints:
                  - url: http://${HOST}:8000/v1
                    api_key_env: OPENAI_API_KEY
                  - url: ${OTHER_URL:-http://localhost:8001/v1}
                    api_key: "$${NOT_A_VAR}"
                """));
        RunConfig c = loaded.value();
        assertEquals("exp-1", c.name());
        assertEquals(Mode.full, c.mode());
        assertEquals(8, c.annotate().samples());
        assertEquals(0.7, c.annotate().temperature());
        assertEquals(List.of("</s>"), c.annotate().stop());
        assertEquals("http://gpu7:8000/v1", c.endpoints().get(0).url());
        assertEquals("http://localhost:8001/v1", c.endpoints().get(1).url());
        assertEquals("${NOT_A_VAR}", c.endpoints().get(1).api_key());
        assertEquals(java.util.Set.of(), loaded.secrets(), "no secret variable was substituted");
    }

    @Test
    void unknownKeyNamesPathAndLine() throws IOException {
        assertEquals(":4: field 'annotate.sampels': unknown key; did you mean 'samples'?",
                error("name: a\nannotate:\n  temperature: 1\n  sampels: 4\n"));
        assertEquals(":2: field 'colour': unknown key; known keys here: annotate, endpoints, mode, name",
                error("name: a\ncolour: red\n"));
    }

    @Test
    void wrongTypesNamePathAndLine() throws IOException {
        assertEquals(":3: field 'annotate.samples': expected an integer, got \"many\"",
                error("name: a\nannotate:\n  samples: many\n"));
        assertTrue(error("name: a\nannotate:\n  samples: 2.5\n").startsWith(":3: field 'annotate.samples': expected an integer"));
        assertTrue(error("name: a\nendpoints:\n  - url: x\n  - url: [1, 2]\n").startsWith(":4: field 'endpoints[1].url': expected a string"));
        assertTrue(error("name: a\nmode: slow\n").startsWith(":2: field 'mode': expected one of fast, full, got \"slow\""));
        assertTrue(error("name: a\nannotate: 5\n").startsWith(":2: field 'annotate': expected a mapping"));
    }

    @Test
    void requiredInvalidDuplicateAndMalformed() throws IOException {
        assertEquals(": field 'name': missing (required)", error("mode: fast\n"));
        assertEquals(":2: field 'annotate': invalid value: samples must be at most 100, got 500",
                error("name: a\nannotate:\n  samples: 500\n"));
        assertEquals(":2: field 'name': duplicate key", error("name: a\nname: b\n"));
        assertTrue(error("name: a\nannotate: [1,\n").startsWith(":"), "malformed YAML names a line");
        assertTrue(error("name: a\nannotate: [1,\n").contains("malformed YAML"));
        assertTrue(error("").contains("empty"));
        assertTrue(error("- a\n- b\n").contains("expected a mapping"));
    }

    @Test
    void unsetVariableIsAnErrorNamingIt() throws IOException {
        assertEquals(":1: field 'name': environment variable NOPE is not set; export it, or write ${NOPE:-default}",
                error("name: run-${NOPE}\n"));
    }

    @Test
    void secretsNeverAppearInRedactedOutput() throws IOException {
        var loaded = load(yaml("""
                name: a
                endpoints:
                  - url: https://api.example.com/v1?t=${MY_TOKEN}
                    api_key: ${OPENAI_API_KEY}
                    api_key_env: OPENAI_API_KEY
                  - url: http://x
                    api_key: literal-key-in-file
                """));
        assertEquals("sk-test-0123456789", loaded.value().endpoints().get(0).api_key(), "the program still sees the key");
        String out = loaded.redactedYaml();
        for (String secret : List.of("sk-test-0123456789", "tok-abcdef", "literal-key-in-file")) {
            assertFalse(out.contains(secret), secret + " leaked:\n" + out);
        }
        assertTrue(out.contains("api_key_env: OPENAI_API_KEY"), "where the key lives is not a secret:\n" + out);
        assertTrue(out.contains("url: https://api.example.com/v1?t=<redacted>"), out);
        assertFalse(loaded.tree().toString().contains(Redact.MASK), "redaction copies; the resolved tree is untouched");
        assertEquals("call failed with key <redacted>",
                Redact.text("call failed with key sk-test-0123456789", loaded.secrets()));
    }

    @Test
    void secretsAreRedactedFromErrorMessages() throws IOException {
        String msg = error("name: a\nendpoints:\n  - url: [x]\n    api_key: ${OPENAI_API_KEY}\n");
        assertFalse(msg.contains("sk-test"), msg);
    }

    @Test
    void overridesApplyAfterSubstitution() throws IOException {
        Path f = yaml("name: a\nannotate:\n  samples: 4\n");
        var loaded = ConfigLoader.loadResolved(f, RunConfig.class, ENV::get,
                List.of("annotate.samples=16", "annotate.stop=[x, y]", "mode=fast"));
        assertEquals(16, loaded.value().annotate().samples());
        assertEquals(List.of("x", "y"), loaded.value().annotate().stop());
        assertEquals(Mode.fast, loaded.value().mode());
        InputError e = assertThrows(InputError.class, () -> ConfigLoader.loadResolved(f, RunConfig.class, ENV::get, List.of("annotate.samples=lots")));
        assertTrue(e.getMessage().contains("field 'annotate.samples': expected an integer"), e.getMessage());
        assertThrows(InputError.class, () -> ConfigLoader.loadResolved(f, RunConfig.class, ENV::get, List.of("nonsense")));
    }

    @Test
    void secretKeyNames() {
        for (String k : List.of("api_key", "apiKey", "API-KEY", "openai_api_key", "token", "hf_token", "password", "client_secret", "api_token", "authorization")) {
            assertTrue(Redact.isSecretKey(k), k);
        }
        for (String k : List.of("api_key_env", "max_tokens", "name", "url", "keys_dir", "stop", "eos_token")) {
            assertFalse(Redact.isSecretKey(k), k);
        }
    }
}
