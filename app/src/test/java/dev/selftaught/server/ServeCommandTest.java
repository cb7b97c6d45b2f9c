package dev.selftaught.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.selftaught.cli.Main;
import dev.selftaught.data.Json;
import dev.selftaught.testing.ServeProcess;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class ServeCommandTest {

    @Test
    void helpDescribesEveryOption() {
        CommandLine cl = Main.commandLine();
        CommandLine serve = cl.getSubcommands().get("serve");
        assertNotNull(serve, "serve is registered in Main");
        for (CommandLine.Model.OptionSpec o : serve.getCommandSpec().options()) {
            assertTrue(o.description().length > 0 && !o.description()[0].isBlank(), o.longestName() + " has a description");
        }
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("serve", "--help"));
        for (String opt : List.of("--model", "--host", "--port", "--api-key-env", "--max-body-bytes", "--max-n", "--max-tokens-limit")) {
            assertTrue(out.toString().contains(opt), opt);
        }
    }

    @Test
    void badOptionsExitWithCode2() {
        assertEquals(2, run("serve", "--model", "test-toy:fast", "--max-n", "0").code);
        Result r = run("serve", "--model", "test-toy:fast", "--api-key-env", "SELFTAUGHT_SURELY_UNSET_VAR");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("SELFTAUGHT_SURELY_UNSET_VAR"), r.err);
        assertEquals(2, run("serve").code, "--model is required");
        assertEquals(2, run("serve", "--model", "nosuchscheme:x", "--port", "0").code);
    }

    record Result(int code, String err) {}

    private static Result run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        return new Result(cl.execute(args), err.toString());
    }

    /**
     * The real command in its own JVM: serves with an API key, answers, and on SIGTERM finishes
     * the request in flight before exiting.
     */
    @Test
    void servesInItsOwnProcessAndShutsDownCleanlyOnSigterm() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.selftaught.cli.Main",
                "serve", "--model", "test-toy:slow=1500", "--port", "0", "--served-model-name", "toy",
                "--api-key-env", "SELFTAUGHT_TEST_SERVE_KEY", "--shutdown-grace", "10s"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("SELFTAUGHT_TEST_SERVE_KEY", "k-123456");
        try (ServeProcess serve = ServeProcess.start(pb, Duration.ofSeconds(30))) {
            Process p = serve.process;
            String url = serve.url;
            assertTrue(serve.startupLog.contains("(API key required)"));
            assertFalse(serve.startupLog.contains("k-123456"), "the key is never printed");

            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest models = HttpRequest.newBuilder(URI.create(url + "/models")).header("Authorization", "Bearer k-123456").build();
            JsonNode list = Json.MAPPER.readTree(client.send(models, HttpResponse.BodyHandlers.ofString()).body());
            assertEquals("toy", list.get("data").get(0).get("id").asText());
            assertEquals(401, client.send(HttpRequest.newBuilder(URI.create(url + "/models")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());

            HttpRequest slow = HttpRequest.newBuilder(URI.create(url + "/completions")).header("Authorization", "Bearer k-123456")
                    .timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"toy\", \"prompt\": \"in flight\", \"max_tokens\": 2, \"temperature\": 0}")).build();
            CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(slow, HttpResponse.BodyHandlers.ofString());
            Thread.sleep(500); // the request is now inside the model's 1.5 s delay
            p.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its stderr)
            HttpResponse<String> r = inFlight.get(30, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("in flight", Json.MAPPER.readTree(r.body()).get("choices").get(0).get("text").asText());
            long t0 = System.nanoTime();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "process exits after SIGTERM");
            long exitMillis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(exitMillis < 8000, "exits soon after the last request, not after the whole 10 s grace: " + exitMillis + " ms");
            String all = serve.startupLog + serve.laterLog(Duration.ofSeconds(10)) + "\n(exit code " + p.exitValue() + ", response " + r.body() + ")";
            assertTrue(all.contains("stopping"), all);
            assertTrue(all.contains("stopped"), all);
        }
    }
}
