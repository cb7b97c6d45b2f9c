package dev.selftaught.store;

import dev.selftaught.llm.Completion;
import dev.selftaught.llm.Usage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.*;

class CallStoreTest {

    @TempDir
    Path dir;

    @Test
    void manyConcurrentWritersAllLandAndSurviveReopen() throws Exception {
        Path file = dir.resolve("calls.sqlite");
        int writers = 64, perWriter = 10;
        try (CallStore store = CallStore.open(file); var exec = Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                final int wi = w;
                futures.add(exec.submit(() -> {
                    for (int i = 0; i < perWriter; i++) {
                        String rk = "req-" + wi + "-" + i;
                        store.put(StoredSample.success(rk + "#0", rk, 0, "m", new Completion("text " + wi + "/" + i, "stop"), new Usage(wi, i)));
                        // every write is readable as soon as put returns
                        assertEquals("text " + wi + "/" + i, store.samples(rk, 1).get(0).text());
                    }
                    return null;
                }));
            }
            for (var f : futures) f.get();
        }
        try (CallStore store = CallStore.open(file)) {
            assertArrayEquals(new long[] {writers * perWriter, 0}, store.counts());
            StoredSample s = store.samples("req-7-9", 1).get(0);
            assertEquals(new Usage(7, 9), s.usage());
            assertEquals("stop", s.finishReason());
        }
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file); var st = c.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertEquals("wal", rs.getString(1));
        }
    }

    @Test
    void failureIsReplacedBySuccessButSuccessIsNeverOverwritten() {
        try (CallStore store = CallStore.open(dir.resolve("c.sqlite"))) {
            store.put(StoredSample.failure("k0", "r", 0, "m", "HTTP 500"));
            store.put(StoredSample.failure("k0", "r", 0, "m", "HTTP 503"));
            StoredSample f = store.samples("r", 1).get(0);
            assertFalse(f.ok());
            assertEquals("HTTP 503", f.error());
            assertEquals(2, f.attempts());
            store.put(StoredSample.success("k0", "r", 0, "m", new Completion("good", "stop"), Usage.ZERO));
            store.put(StoredSample.success("k0", "r", 0, "m", new Completion("second", "stop"), Usage.ZERO));
            store.put(StoredSample.failure("k0", "r", 0, "m", "late failure"));
            StoredSample s = store.samples("r", 1).get(0);
            assertTrue(s.ok());
            assertEquals("good", s.text());
            assertArrayEquals(new long[] {1, 0}, store.counts());
        }
    }

    @Test
    void samplesReturnsOnlyIndexesBelowN() {
        try (CallStore store = CallStore.open(dir.resolve("c.sqlite"))) {
            List<StoredSample> rows = new ArrayList<>();
            for (int i = 0; i < 5; i++) rows.add(StoredSample.success("k" + i, "r", i, "m", new Completion("t" + i, "stop"), Usage.ZERO));
            store.putAll(rows);
            Map<Integer, StoredSample> three = store.samples("r", 3);
            assertEquals(3, three.size());
            assertEquals("t2", three.get(2).text());
            assertTrue(store.samples("other", 3).isEmpty());
        }
    }
}
