package dev.selftaught.llm.http;

import dev.selftaught.cli.Main;
import dev.selftaught.config.Redact;
import dev.selftaught.data.InputError;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelSpec;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.pipeline.RunConfig;
import dev.selftaught.testing.ServeProcess;
import dev.selftaught.testing.RawHttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Where API keys and URL credentials go, and where they never go, with real servers and processes. */
class KeyHandlingTest {

    @TempDir
    Path dir;

    static final ModelOptions OPTS = ModelOptions.defaults().withRequestTimeout(Duration.ofSeconds(20)).withRetries(0, Duration.ofMillis(1));

    static ModelRequest req() { return ModelRequest.chat(List.of(ChatMessage.user("hi")), SamplingParams.greedy(4)); }

    static RawHttpServer ok() throws Exception {
        return new RawHttpServer((h, b, out) -> {
            out.write(RawHttpServer.chatOk("ok"));
            return true;
        });
    }

    static OpenAiModel open(String spec, ModelOptions o, Map<String, String> env) {
        return OpenAiModel.open((ModelSpec.Http) ModelSpec.parse(spec), o, env::get, HttpProxies.NONE);
    }

    static boolean hasAuth(String head) { return head.toLowerCase().contains("\r\nauthorization:"); }

    @Test
    void openAiApiKeyInTheEnvironmentIsNotSentUnlessAsked() throws Exception {
        try (var s = ok(); OpenAiModel m = open(s.url() + "#m", OPTS, Map.of("OPENAI_API_KEY", "sk-ambient-secret"))) {
            m.complete(req());
            assertFalse(hasAuth(s.heads.getFirst()), s.heads.getFirst());
        }
        try (var s = ok(); OpenAiModel m = open(s.url() + "#m", OPTS.withApiKeyEnv("MY_KEY"), Map.of("MY_KEY", "k-explicit"))) {
            m.complete(req());
            assertTrue(s.heads.getFirst().contains("\r\nAuthorization: Bearer k-explicit\r\n"), s.heads.getFirst());
        }
    }

    @Test
    void aKeyNamedOnOneEndpointGoesToThatEndpointOnly() throws Exception {
        try (var a = ok(); var b = ok();
             OpenAiModel m = open(a.url() + "?key_env=A_KEY," + b.url() + "#m", OPTS, Map.of("A_KEY", "k-for-a-only"))) {
            for (int i = 0; i < 8; i++) m.complete(req());
            assertFalse(a.heads.isEmpty());
            assertFalse(b.heads.isEmpty(), "both endpoints served");
            for (String h : a.heads) assertTrue(h.contains("\r\nAuthorization: Bearer k-for-a-only\r\n"), h);
            for (String h : b.heads) assertFalse(hasAuth(h), h);
            assertFalse(m.toString().contains("key_env"), m.toString());
        }
    }

    @Test
    void aNamedButUnsetVariableIsAnErrorNamingIt() {
        InputError e = assertThrows(InputError.class, () -> open("http://127.0.0.1:9/v1#m", OPTS.withApiKeyEnv("NOT_SET_KEY"), Map.of()));
        assertTrue(e.getMessage().contains("NOT_SET_KEY"), e.getMessage());
        InputError bad = assertThrows(InputError.class, () -> ModelSpec.parse("http://h/v1?token=x"));
        assertTrue(bad.getMessage().contains("key_env=VAR"), bad.getMessage());
    }

    @Test
    void noCredentialsInClearTextToAHostThatIsNotLoopbackUnlessAllowed() {
        Map<String, String> env = Map.of("K", "k-secret");
        InputError e = assertThrows(InputError.class, () -> open("http://10.9.8.7:8000/v1#m", OPTS.withApiKeyEnv("K"), env));
        assertTrue(e.getMessage().contains("plain http to 10.9.8.7") && e.getMessage().contains("--allow-insecure-key"), e.getMessage());
        InputError u = assertThrows(InputError.class, () -> open("http://bob:pw@judge.example:8000/v1#m", OPTS, env));
        assertTrue(u.getMessage().contains("user:password"), u.getMessage());
        assertFalse(u.getMessage().contains("pw"), "the message shows no password: " + u.getMessage());
        // Allowed explicitly, or over https, or to loopback: the model opens (no connection is made yet).
        open("http://10.9.8.7:8000/v1#m", OPTS.withApiKeyEnv("K").withAllowInsecureKey(true), env).close();
        open("https://10.9.8.7:8000/v1#m", OPTS.withApiKeyEnv("K"), env).close();
        open("http://localhost:8000/v1#m", OPTS.withApiKeyEnv("K"), env).close();
        open("http://[::1]:8000/v1#m", OPTS.withApiKeyEnv("K"), env).close();
        open("http://10.9.8.7:8000/v1#m", OPTS, env).close(); // no key configured: nothing to protect
    }

    @Test
    void urlUserInfoIsSentAsBasicAuthAndWrittenNowhere() throws Exception {
        try (var s = new RawHttpServer((h, b, out) -> {
            String body = "{\"error\":{\"message\":\"bad request from the test\"}}";
            out.write(("HTTP/1.1 400 Bad Request\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            return true;
        })) {
            Path in = dir.resolve("in.jsonl");
            Files.writeString(in, "{\"id\":1,\"prompt\":\"p\"}\n");
            Path out = dir.resolve("out.jsonl");
            Path run = dir.resolve("run");
            String spec = "http://alice:s3cr3t-pw@127.0.0.1:" + s.port() + "/v1#m";
            StringWriter err = new StringWriter();
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err));
            int code = cl.execute("generate", "--model", spec, "--input", in.toString(), "--output", out.toString(),
                    "--run-dir", run.toString(), "--max-retries", "0");
            String basic = Base64.getEncoder().encodeToString("alice:s3cr3t-pw".getBytes(StandardCharsets.UTF_8));
            assertTrue(s.heads.getFirst().contains("\r\nAuthorization: Basic " + basic + "\r\n"), s.heads.getFirst());
            String row = Files.readString(out);
            assertTrue(row.contains("HTTP 400: bad request from the test"), row);
            assertFalse(row.contains("s3cr3t-pw") || row.contains("alice"), row);
            assertFalse(err.toString().contains("s3cr3t-pw"), err.toString());
            List<Path> files;
            try (var w = Files.walk(dir)) {
                files = w.filter(Files::isRegularFile).toList();
            }
            for (Path f : files) {
                if (f.equals(in)) continue;
                String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertFalse(bytes.contains("s3cr3t-pw"), f + " holds the password");
            }
            assertTrue(code == 0 || code == 1, "exit " + code + ": " + err);
        }
    }

    @Test
    void runYamlAndTextNeverShowUrlUserInfo() throws Exception {
        Path cfg = dir.resolve("cfg.yaml");
        Files.writeString(cfg, "models:\n  seed: embedded:/m\n  annotator: https://u:hunter22@api.example/v1#judge\nselect:\n  pool: pool.jsonl\n");
        String yaml = RunConfig.load(cfg, List.of()).redactedYaml();
        assertFalse(yaml.contains("hunter22"), yaml);
        assertTrue(yaml.contains("https://<redacted>@api.example/v1#judge"), yaml);
        assertEquals("see http://<redacted>@h:1/v1 and https://x/v1", Redact.urls("see http://a:b@h:1/v1 and https://x/v1"));
        assertEquals("mail me@example.com", Redact.urls("mail me@example.com"), "not a URL: untouched");
    }

    /** serve relaying to an upstream: the operator's OPENAI_API_KEY and serve key never travel upstream unless told. */
    @Test
    void serveRelayForwardsNoKeyUnlessTold() throws Exception {
        try (var upstream = ok()) {
            relayOnce(upstream, List.of());
            String h = upstream.heads.getLast();
            assertFalse(hasAuth(h), h);
            assertFalse(h.contains("op-secret") || h.contains("serve-secret"), h);
            relayOnce(upstream, List.of("--upstream-api-key-env", "UP_KEY"));
            assertTrue(upstream.heads.getLast().contains("\r\nAuthorization: Bearer up-secret\r\n"), upstream.heads.getLast());
        }
    }

    private static void relayOnce(RawHttpServer upstream, List<String> extra) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "dev.selftaught.cli.Main",
                "serve", "--model", upstream.url() + "#m", "--port", "0", "--served-model-name", "relay",
                "--api-key-env", "SERVE_KEY"));
        cmd.addAll(extra);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("OPENAI_API_KEY", "op-secret");
        pb.environment().put("SERVE_KEY", "serve-secret");
        pb.environment().put("UP_KEY", "up-secret");
        try (ServeProcess serve = ServeProcess.start(pb, Duration.ofSeconds(60))) {
            String url = serve.url;
            int before = upstream.heads.size();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest r = HttpRequest.newBuilder(URI.create(url + "/chat/completions")).header("Authorization", "Bearer serve-secret")
                    .timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"relay\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":2}")).build();
            HttpResponse<String> resp = client.send(r, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, resp.statusCode(), resp.body());
            assertTrue(upstream.heads.size() > before, "the request was relayed");
        }
    }
}
