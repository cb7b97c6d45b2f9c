package dev.selftaught.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.cli.ServeCommand;
import dev.selftaught.data.Json;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code selftaught serve} in its own process on embedded stories260K: the default served name is
 * the checkpoint's directory name (never its absolute path), and a request path that tries to
 * forge log lines stays on one escaped line of the server's log.
 */
class ServeProcessTest {

    @Test
    void defaultServedNameIsTheCheckpointsDirectoryNameNeverAPath() {
        assertEquals("llama2c_stories260K", ServeCommand.defaultServedName("embedded:../../shared/data/llama2c_stories260K"));
        assertEquals("llama2c_stories260K", ServeCommand.defaultServedName("embedded:/abs/llama2c_stories260K/"));
        assertEquals("judge", ServeCommand.defaultServedName("http://u:p@127.0.0.1:9/v1#judge"));
        assertEquals("http", ServeCommand.defaultServedName("http://u:p@127.0.0.1:9/v1"));
        assertEquals("http://<redacted>@h:1/v1", dev.selftaught.data.UrlUserInfo.redact("http://u:p@h:1/v1"));
    }

    @Test
    void realServeProcessNamesTheModelByItsDirectoryAndEscapesLogLines() throws Exception {
        Path dir = ServeAbuseTest.DATA.resolve("llama2c_stories260K").toAbsolutePath().normalize();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.selftaught.cli.Main",
                "serve", "--model", "embedded:" + dir, "--port", "0", "--threads", "1"));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            } catch (Exception ignored) {
                // process ended
            }
        });
        try {
            int port = -1;
            Pattern listening = Pattern.compile("as '([^']*)' on http://127\\.0\\.0\\.1:(\\d+)/v1");
            StringBuilder seen = new StringBuilder();
            while (port < 0) {
                String l = lines.poll(60, TimeUnit.SECONDS);
                assertNotNull(l, "server did not start; stderr so far:\n" + seen);
                seen.append(l).append('\n');
                Matcher m = listening.matcher(l);
                if (m.find()) {
                    assertEquals("llama2c_stories260K", m.group(1));
                    port = Integer.parseInt(m.group(2));
                }
            }
            RawHttp.Response models;
            try (RawHttp c = new RawHttp(port, 30_000)) {
                models = c.send("GET /v1/models HTTP/1.1\r\nHost: t\r\n\r\n").read();
            }
            JsonNode id = Json.MAPPER.readTree(models.body()).get("data").get(0).get("id");
            assertEquals("llama2c_stories260K", id.asText());
            assertFalse(models.body().contains(dir.toString()), "no absolute path is served: " + models.body());

            try (RawHttp c = new RawHttp(port, 30_000)) {
                assertEquals(404, c.send("GET /v1/x%0Aselftaught%20serve:%20FORGED HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            }
            String logged = null;
            for (int i = 0; i < 100 && logged == null; i++) {
                String l = lines.poll(100, TimeUnit.MILLISECONDS);
                if (l != null && l.contains("/v1/x")) logged = l;
            }
            assertNotNull(logged, "the request was logged");
            assertTrue(logged.contains("/v1/x%0Aselftaught%20serve:%20FORGED 404"), logged);
            Thread.sleep(200);
            for (String l : lines) assertFalse(l.startsWith("selftaught serve: FORGED"), "a forged line: " + l);
        } finally {
            p.toHandle().destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }
}
