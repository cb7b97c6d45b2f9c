package dev.selftaught.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;

import static dev.selftaught.data.DatasetsReadTest.obj;
import static org.junit.jupiter.api.Assertions.*;

class JsonlJournalTest {
    @TempDir
    Path dir;

    @Test
    void appendSyncReopenAndRead() {
        Path f = dir.resolve("stage/annotations.jsonl");
        try (JsonlJournal j = JsonlJournal.open(f)) {
            assertFalse(j.existing().hasNext());
            j.append(obj("{\"i\": 1}"));
            j.appendValue(Map.of("i", 2));
            assertEquals(0, j.syncedLines(), "nothing is written before sync");
            j.sync();
            assertEquals(2, j.syncedLines());
        }
        try (JsonlJournal j = JsonlJournal.open(f)) {
            assertEquals(0, j.repairedBytes());
            assertEquals(List.of(1L, 2L), j.existing().stream().map(r -> r.integer("i")).toList());
            j.appendDurably(obj("{\"i\": 3}"));
        }
        assertEquals(3, Datasets.readAll(f).size());
    }

    @Test
    void tornLastLineIsDroppedOnOpen() throws IOException {
        Path f = dir.resolve("j.jsonl");
        Files.writeString(f, "{\"i\": 1}\n{\"i\": 2}\n{\"i\": 3, \"text\": \"cut off in the mi");
        long tornLength = "{\"i\": 3, \"text\": \"cut off in the mi".getBytes(StandardCharsets.UTF_8).length;
        try (JsonlJournal j = JsonlJournal.open(f)) {
            assertEquals(tornLength, j.repairedBytes());
            assertEquals(List.of(1L, 2L), j.existing().stream().map(r -> r.integer("i")).toList());
            j.append(obj("{\"i\": 4}"));
        }
        assertEquals("{\"i\": 1}\n{\"i\": 2}\n{\"i\":4}\n", Files.readString(f));
        // A file that is nothing but a torn line becomes empty.
        Path g = dir.resolve("g.journal"); // any name: a journal is JSON Lines whatever it is called
        Files.writeString(g, "{\"i\"", StandardOpenOption.CREATE);
        try (JsonlJournal j = JsonlJournal.open(g)) {
            assertEquals(4, j.repairedBytes());
            assertFalse(j.existing().hasNext());
        }
        assertEquals(0, Files.size(g));
    }

    @Test
    void concurrentAppendsAreWholeLines() throws Exception {
        Path f = dir.resolve("c.jsonl");
        try (JsonlJournal j = JsonlJournal.open(f); var exec = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 8; t++) {
                int base = t * 1000;
                exec.submit(() -> {
                    for (int i = 0; i < 250; i++) {
                        j.append(obj("{\"i\": " + (base + i) + ", \"pad\": \"" + "x".repeat(i) + "\"}"));
                        if (i % 50 == 0) j.sync();
                    }
                    return null;
                });
            }
        }
        Set<Long> seen = new HashSet<>();
        for (DataRecord r : Datasets.readAll(f)) assertTrue(seen.add(r.integer("i")));
        assertEquals(2000, seen.size());
    }
}
