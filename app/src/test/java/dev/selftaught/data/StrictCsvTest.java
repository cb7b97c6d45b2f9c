package dev.selftaught.data;

import dev.selftaught.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** CSV is read strictly (RFC 4180): malformed files are a FILE:LINE error, never a silent mis-parse. */
class StrictCsvTest {

    @TempDir
    Path dir;

    Path write(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    String error(Path f) {
        InputError e = assertThrows(InputError.class, () -> Datasets.readAll(f));
        return e.getMessage();
    }

    @Test
    void wellFormedQuotingMultilineCrlfAndEmptyCells() throws Exception {
        Path f = write("ok.csv", "\uFEFFid,prompt,note\r\n1,\"a, b\",\r\n2,\"say \"\"hi\"\"\nthen go\",\"\"\n\n3,plain,x\n");
        List<DataRecord> rows = Datasets.readAll(f);
        assertEquals(3, rows.size());
        assertEquals("a, b", rows.get(0).string("prompt"));
        assertTrue(rows.get(0).json().get("note").isNull(), "an empty unquoted cell is absent");
        assertEquals("say \"hi\"\nthen go", rows.get(1).string("prompt"));
        assertEquals("", rows.get(1).string("note"), "a quoted empty cell is the empty string");
        assertEquals(List.of(2L, 3L, 6L), rows.stream().map(DataRecord::line).toList(), "each record's first line, a quoted newline counted");
    }

    @Test
    void aRaggedRowIsAnErrorWithItsLine() throws Exception {
        assertEquals(write("r.csv", "a,b\n1,2\n3,4,5\n") + ":3: row has 3 fields but the header has 2 (a ragged row; quote fields that contain commas)",
                error(dir.resolve("r.csv")));
        assertTrue(error(write("s.csv", "a,b\n1,2\nonly\n")).startsWith(dir.resolve("s.csv") + ":3: row has 1 field but the header has 2"));
    }

    @Test
    void anUnterminatedQuoteIsAnErrorAtTheLineWhereItOpened() throws Exception {
        String msg = error(write("u.csv", "a,b\n1,2\n3,\"never closed\n4,5\n6,7\n"));
        assertEquals(dir.resolve("u.csv") + ":3: unterminated quoted field (a \" opened here is never closed)", msg);
    }

    @Test
    void strayQuotesTextAfterAQuoteAndBadHeadersAreErrors() throws Exception {
        assertTrue(error(write("q.csv", "a,b\n1,x\"y\n")).startsWith(dir.resolve("q.csv") + ":2: a \" inside an unquoted field"));
        assertTrue(error(write("t.csv", "a,b\n1,\"x\"y\n")).startsWith(dir.resolve("t.csv") + ":2: text after a closing quote ('y')"));
        assertTrue(error(write("d.csv", "a,a\n1,2\n")).contains(":1: header names column 'a' twice"));
        assertTrue(error(write("e.csv", "a,,c\n1,2,3\n")).contains(":1: header column 2 has no name"));
    }

    @Test
    void semicolonFilesAreNotAutoDetected() throws Exception {
        // A semicolon file is one column named "a;b": no dialect is guessed behind the user's back.
        List<DataRecord> rows = Datasets.readAll(write("semi2.csv", "a;b\n1;2\n"));
        assertEquals("1;2", rows.getFirst().string("a;b"));
    }

    @Test
    void generateExitsWith2AndNamesTheLine() throws Exception {
        Path in = write("in.csv", "id,prompt\n1,hello\n2,\"oops\n");
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("generate", "--model", "http://127.0.0.1:9/v1#m", "--input", in.toString(),
                "--output", dir.resolve("out.jsonl").toString(), "--run-dir", dir.resolve("run").toString());
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains(in + ":3: unterminated quoted field"), err.toString());
        assertFalse(Files.exists(dir.resolve("out.jsonl")), "no half-written output");
    }
}
