package dev.selftaught.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Every kind of bad input gives one line naming file, line and (when known) field. */
class DatasetsBadInputTest {
    @TempDir
    Path dir;

    private String readError(Path f) {
        InputError e = assertThrows(InputError.class, () -> Datasets.readAll(f));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void malformedJsonLineNamesTheLine() throws IOException {
        Path f = write("bad.jsonl", "{\"a\": 1}\n{\"a\": 2,}\n{\"a\": 3}\n");
        String msg = readError(f);
        assertTrue(msg.startsWith(f + ":2: malformed JSON at column "), msg);
    }

    @Test
    void trailingGarbageAndNonObjectLines() throws IOException {
        assertTrue(readError(write("t.jsonl", "{\"a\": 1} {\"a\": 2}\n")).startsWith(dir.resolve("t.jsonl") + ":1: malformed JSON"));
        String msg = readError(write("n.jsonl", "{\"a\": 1}\n[1, 2]\n"));
        assertEquals(dir.resolve("n.jsonl") + ":2: expected a JSON object per line, got an array", msg);
    }

    @Test
    void missingAndWronglyTypedFields() throws IOException {
        Path f = write("f.jsonl", "{\"id\": \"x1\", \"n\": \"many\", \"tags\": [\"a\", 2], \"nul\": null}\n");
        DataRecord r = Datasets.readAll(f).get(0);
        assertEquals(f + ":1: field 'instruction': missing (fields present: id, n, tags, nul)",
                assertThrows(InputError.class, () -> r.string("instruction")).getMessage());
        assertEquals(f + ":1: field 'n': expected an integer, got a string",
                assertThrows(InputError.class, () -> r.integer("n")).getMessage());
        assertEquals(f + ":1: field 'tags[1]': expected a string, got an integer (2)",
                assertThrows(InputError.class, () -> r.stringList("tags")).getMessage());
        assertEquals(f + ":1: field 'id': expected an array of strings, got a string",
                assertThrows(InputError.class, () -> r.stringList("id")).getMessage());
        assertTrue(assertThrows(InputError.class, () -> r.string("nul")).getMessage().contains("field 'nul': is null"));
        assertEquals(f + ":1: field 'id': expected a number, got a string",
                assertThrows(InputError.class, () -> r.number("id")).getMessage());
        assertNull(r.optString("nul"));
        assertThrows(InputError.class, () -> r.optString("tags"));
    }

    @Test
    void invalidUtf8InJsonlNamesTheLine() throws IOException {
        Path f = dir.resolve("u.jsonl");
        byte[] good = "{\"a\": \"ok\"}\n{\"a\": \"ok\"}\n".getBytes();
        byte[] bad = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'};
        Files.write(f, concat(good, bad));
        assertEquals(f + ":3: invalid UTF-8 at byte 7 of the line; re-encode the file as UTF-8", readError(f));
    }

    @Test
    void invalidUtf8InJsonArrayNamesTheLine() throws IOException {
        Path f = dir.resolve("u.json");
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < 3000; i++) sb.append("{\"a\": \"ok\"},\n"); // far past the decoder's read-ahead
        byte[] head = sb.toString().getBytes();
        byte[] bad = {'{', '"', 'a', '"', ':', '"', (byte) 0xFF, '"', '}', '\n', ']'};
        Files.write(f, concat(head, bad));
        assertEquals(f + ":3002: invalid UTF-8; re-encode the file as UTF-8", readError(f));
    }

    @Test
    void overlongUtf8IsRejected() throws IOException {
        // 0xC0 0xAF is an overlong '/', which a lenient decoder would accept.
        Path f = dir.resolve("o.jsonl");
        Files.write(f, new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}', '\n'});
        assertTrue(readError(f).startsWith(f + ":1: invalid UTF-8"));
    }

    @Test
    void emptyFilesOfEachFormat() throws IOException {
        for (String name : List.of("e.jsonl", "e.json", "e.csv")) {
            Path f = write(name, "");
            String msg = readError(f);
            assertTrue(msg.startsWith(f + ": ") && (msg.contains("empty") || msg.contains("no records")), msg);
        }
        assertTrue(readError(write("blank.jsonl", "\n  \n")).contains("no records"));
        assertTrue(readError(write("ea.json", "  [ ]  ")).contains("no records"));
        assertTrue(readError(write("h.csv", "a,b\n")).contains("no records"));
        // ...but a caller may allow empty files (e.g. a stage that legitimately produced nothing).
        try (RecordReader r = Datasets.read(dir.resolve("e.jsonl"), true)) {
            assertFalse(r.hasNext());
        }
    }

    @Test
    void jsonArrayErrors() throws IOException {
        String msg = readError(write("nobj.json", "[\n{\"a\": 1},\n 5\n]"));
        assertEquals(dir.resolve("nobj.json") + ":3: expected an object as array element 2, got an integer (5)", msg);
        msg = readError(write("trunc.json", "[\n{\"a\": 1},\n{\"a\": 2"));
        assertTrue(msg.startsWith(dir.resolve("trunc.json") + ":3: malformed JSON"), msg);
        msg = readError(write("obj.json", "{\n \"a\": 1\n}\n"));
        assertTrue(msg.startsWith(dir.resolve("obj.json") + ":1: malformed JSON"), msg);
    }

    @Test
    void missingFileUnknownExtensionAndBadGzip() throws IOException {
        assertEquals(dir.resolve("none.jsonl") + ": no such file", readError(dir.resolve("none.jsonl")));
        assertTrue(readError(write("x.txt", "hi")).contains("unknown dataset format"));
        assertTrue(readError(write("x.jsonl.gz", "not gzip")).contains("not a valid gzip file"));
        assertTrue(readError(write("x.parquet", "not parquet")).startsWith(dir.resolve("x.parquet") + ": cannot read as Parquet"));
    }

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
