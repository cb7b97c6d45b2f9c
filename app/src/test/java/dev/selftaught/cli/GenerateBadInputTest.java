package dev.selftaught.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Bad input to generate: exit 2, one line naming file, line and field, no output, no run directory. */
class GenerateBadInputTest {

    @TempDir
    Path dir;

    private void expectBad(String content, String... expectedInMessage) throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, content);
        expectBadFile(in, expectedInMessage);
    }

    private void expectBadFile(Path in, String... expectedInMessage) throws Exception {
        Path out = dir.resolve("out.jsonl");
        Files.deleteIfExists(out);
        var err = new StringWriter();
        var cl = dev.selftaught.cli.Main.commandLine();
        cl.setErr(new PrintWriter(err));
        // The server address is never contacted: input is checked before the model is opened.
        int code = cl.execute("generate", "--model", "http://127.0.0.1:9/v1#m", "--input", in.toString(), "--output", out.toString());
        String msg = err.toString();
        assertEquals(2, code, msg);
        for (String e : expectedInMessage) assertTrue(msg.contains(e), "'" + e + "' not in: " + msg);
        assertEquals(1, msg.strip().lines().count(), "one line: " + msg);
        assertFalse(Files.exists(out), "no output file");
        assertFalse(Files.exists(dir.resolve("out.jsonl.run")), "no run directory");
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp")), "no temp litter");
        }
    }

    @Test
    void missingPrompt() throws Exception {
        expectBad("{\"prompt\":\"ok\"}\n{\"id\":\"x\"}\n", "in.jsonl:2:", "field 'prompt'", "missing");
    }

    @Test
    void bothPromptAndMessages() throws Exception {
        expectBad("{\"prompt\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"b\"}]}\n", "in.jsonl:1:", "not both");
    }

    @Test
    void wrongTypes() throws Exception {
        expectBad("{\"prompt\":3}\n", "in.jsonl:1:", "field 'prompt'", "expected a string, got an integer (3)");
        expectBad("{\"messages\":\"hi\"}\n", "field 'messages'", "got a string");
        expectBad("{\"messages\":[{\"role\":\"user\"}]}\n", "field 'messages[0].content'", "missing");
        expectBad("{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}\n", "field 'messages[0].role'");
        expectBad("{\"messages\":[]}\n", "field 'messages'", "expected at least one message");
        expectBad("{\"id\":true,\"prompt\":\"x\"}\n", "field 'id'");
        expectBad("[1,2]\n", "in.jsonl:1:", "JSON object");
    }

    @Test
    void malformedJsonEmptyFileInvalidUtf8AndMissingFile() throws Exception {
        expectBad("{\"prompt\":\"a\"}\n\n{\"prompt\":\"b\"\n", "in.jsonl:3:", "malformed JSON");
        expectBad("", "in.jsonl", "no records");
        Path bin = dir.resolve("bin.jsonl");
        Files.write(bin, new byte[] {'{', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
        expectBadFile(bin, "bin.jsonl:1:", "invalid UTF-8");
        expectBadFile(dir.resolve("nope.jsonl"), "nope.jsonl", "no such file");
    }

    @Test
    void badOptionsAndAnExistingOutputIsLeftUntouched() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"prompt\":\"a\"}\n");
        Path out = dir.resolve("keep.jsonl");
        Files.writeString(out, "precious\n");
        for (String[] bad : new String[][] {{"--temperature", "-1"}, {"--top-p", "0"}, {"--n", "0"}, {"--concurrency", "0"},
                {"--request-timeout", "soon"}}) {
            var err = new StringWriter();
            var cl = dev.selftaught.cli.Main.commandLine();
            cl.setErr(new PrintWriter(err));
            String[] args = {"generate", "--model", "http://127.0.0.1:9/v1#m", "--input", in.toString(), "--output", out.toString(), bad[0], bad[1]};
            assertEquals(2, cl.execute(args), bad[0] + ": " + err);
            assertEquals("precious\n", Files.readString(out));
        }
        var err = new StringWriter();
        var cl = dev.selftaught.cli.Main.commandLine();
        cl.setErr(new PrintWriter(err));
        Files.writeString(in, "{\"prompt\":\"a\"}\n{\"prompt\":7}\n");
        assertEquals(2, cl.execute("generate", "--model", "http://127.0.0.1:9/v1#m", "--input", in.toString(), "--output", out.toString()));
        assertEquals("precious\n", Files.readString(out));
        assertTrue(err.toString().contains("in.jsonl:2:"), err.toString());
    }
}
