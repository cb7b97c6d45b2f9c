package dev.selftaught.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static dev.selftaught.data.DatasetsReadTest.obj;
import static org.junit.jupiter.api.Assertions.*;

/** Writers: round trips, and all-or-nothing commit semantics. */
class DatasetsWriteTest {
    @TempDir
    Path dir;

    record Pair(String id, String chosen, String rejected, int score) {}

    @Test
    void jsonlRoundTripPlainAndGzip() {
        for (String name : List.of("out.jsonl", "out.jsonl.gz")) {
            Path f = dir.resolve(name);
            try (RecordWriter w = Datasets.writer(f)) {
                w.writeValue(new Pair("p1", "good ünïcödé ✓", "bad\nline", 3));
                w.write(obj("{\"id\": \"p2\", \"chosen\": \"c\", \"rejected\": \"r\", \"score\": -1}"));
                assertEquals(2, w.count());
                w.commit();
            }
            List<DataRecord> rows = Datasets.readAll(f);
            assertEquals(2, rows.size());
            assertEquals("good ünïcödé ✓", rows.get(0).string("chosen"));
            assertEquals("bad\nline", rows.get(0).string("rejected"));
            assertEquals(-1, rows.get(1).integer("score"));
        }
    }

    @Test
    void parquetRoundTripWithNestedMessagesAndGzipCopy() throws IOException {
        Path f = dir.resolve("sft.parquet");
        try (RecordWriter w = Datasets.writer(f)) {
            for (int i = 0; i < 50; i++) {
                w.writeValue(Map.of("id", "r" + i, "n", i,
                        "messages", List.of(Map.of("role", "user", "content", "q" + i), Map.of("role", "assistant", "content", "a" + i))));
            }
            w.commit();
        }
        assertTrue(Files.size(f) > 0);
        List<DataRecord> rows = Datasets.readAll(f);
        assertEquals(50, rows.size());
        assertEquals("r7", rows.get(7).string("id"));
        assertEquals(7, rows.get(7).integer("n"));
        assertEquals("a7", rows.get(7).messages("messages").get(1).content());
        assertEquals(8, rows.get(7).line(), "Parquet line = row number");

        Path gz = dir.resolve("sft.parquet.gz");
        try (InputStream in = Files.newInputStream(f); OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            in.transferTo(out);
        }
        assertEquals("q49", Datasets.readAll(gz).get(49).messages("messages").get(0).content());
        assertNoTempFiles();
    }

    @Test
    void closeWithoutCommitLeavesExistingFileUntouched() throws IOException {
        for (String name : List.of("keep.jsonl", "keep.parquet")) {
            Path f = dir.resolve(name);
            try (RecordWriter w = Datasets.writer(f)) {
                w.write(obj("{\"v\": \"old\"}"));
                w.commit();
            }
            byte[] before = Files.readAllBytes(f);
            assertThrows(IllegalStateException.class, () -> {
                try (RecordWriter w = Datasets.writer(f)) {
                    w.write(obj("{\"v\": \"new\"}"));
                    throw new IllegalStateException("the run failed half way");
                }
            });
            assertArrayEquals(before, Files.readAllBytes(f));
            assertEquals("old", Datasets.readAll(f).get(0).string("v"));
            // A fresh target that was never committed does not appear at all.
            Path fresh = dir.resolve("fresh-" + name);
            try (RecordWriter w = Datasets.writer(fresh)) {
                w.write(obj("{\"v\": 1}"));
            }
            assertFalse(Files.exists(fresh));
        }
        assertNoTempFiles();
    }

    @Test
    void commitReplacesAndWriterRejectsNonObjects() {
        Path f = dir.resolve("r.jsonl");
        for (String v : List.of("first", "second")) {
            try (RecordWriter w = Datasets.writer(f)) {
                w.write(obj("{\"v\": \"" + v + "\"}"));
                w.commit();
            }
        }
        assertEquals("second", Datasets.readAll(f).get(0).string("v"));
        try (RecordWriter w = Datasets.writer(dir.resolve("x.jsonl"))) {
            assertThrows(IllegalArgumentException.class, () -> w.write(Json.MAPPER.getNodeFactory().textNode("s")));
        }
        assertThrows(InputError.class, () -> Datasets.writer(dir.resolve("x.csv")));
        assertThrows(IllegalStateException.class, () -> {
            try (RecordWriter w = Datasets.writer(dir.resolve("empty.parquet"))) {
                w.commit();
            }
        });
        assertNoTempFiles();
    }

    private void assertNoTempFiles() {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> hidden = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
            assertEquals(List.of(), hidden, "temporary files left behind");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
