package dev.selftaught.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The durable call store: one SQLite file (WAL mode) holding every sample a model produced, or
 * the reason it failed, keyed by content hash (see {@link CallKeys}).
 *
 * <p><b>Durability.</b> {@link #putAll} returns only after the rows are committed with
 * {@code synchronous=FULL}: in WAL mode that fsyncs the log on every commit, so a stored sample
 * survives a process kill <em>and</em> a power loss or OS crash. {@code NORMAL} would survive a
 * process kill only. A model call costs far more than an fsync (and money), and commits are
 * grouped (below), so FULL costs little.
 *
 * <p><b>Concurrency.</b> One writer thread owns the only write connection. Callers on any thread
 * enqueue rows and wait; the writer drains everything queued so far into one transaction (group
 * commit), commits, then wakes the callers. So many concurrent writers never contend for SQLite's
 * write lock and each fsync covers many rows. Reads use a small pool of separate connections,
 * which WAL lets run alongside the writer; they see everything committed.
 *
 * <p>Another process must not open the same file for writing: {@link RunDirectory} holds a lock.
 */
public final class CallStore implements AutoCloseable {

    static final int SCHEMA_VERSION = 1;
    private static final int READERS = 4;

    private record Batch(List<StoredSample> rows, CompletableFuture<Void> done) {}

    private static final Batch POISON = new Batch(List.of(), new CompletableFuture<>());

    private final Path file;
    private final Connection writer;
    /** A read connection with its prepared lookup, used by one thread at a time. */
    private record Reader(Connection connection, PreparedStatement samples) {}

    private static final String SELECT_SAMPLES = "SELECT key, request_key, sample_index, model, status, text, finish_reason,"
            + " prompt_tokens, completion_tokens, error, attempts FROM calls WHERE request_key = ? AND sample_index < ?";

    private final BlockingQueue<Reader> readers = new ArrayBlockingQueue<>(READERS);
    private final LinkedBlockingQueue<Batch> queue = new LinkedBlockingQueue<>();
    private final Thread writerThread;
    private volatile boolean closed;

    private CallStore(Path file) throws SQLException {
        this.file = file;
        this.writer = connect(file);
        try (Statement st = writer.createStatement()) {
            st.execute("PRAGMA journal_mode=WAL");
            st.execute("PRAGMA synchronous=FULL");
            st.execute("""
                    CREATE TABLE IF NOT EXISTS calls (
                      key               TEXT PRIMARY KEY,
                      request_key       TEXT NOT NULL,
                      sample_index      INTEGER NOT NULL,
                      model             TEXT NOT NULL,
                      status            TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
                      text              TEXT,
                      finish_reason     TEXT,
                      prompt_tokens     INTEGER NOT NULL DEFAULT 0,
                      completion_tokens INTEGER NOT NULL DEFAULT 0,
                      error             TEXT,
                      attempts          INTEGER NOT NULL DEFAULT 0,
                      updated_at        INTEGER NOT NULL
                    )""");
            st.execute("CREATE UNIQUE INDEX IF NOT EXISTS calls_request ON calls (request_key, sample_index)");
            st.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
            st.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', '" + SCHEMA_VERSION + "')");
            try (ResultSet rs = st.executeQuery("SELECT value FROM meta WHERE name = 'schema_version'")) {
                if (rs.next() && !rs.getString(1).equals(String.valueOf(SCHEMA_VERSION))) {
                    throw new SQLException(file + " has call-store schema " + rs.getString(1) + ", this build reads " + SCHEMA_VERSION);
                }
            }
        }
        writer.setAutoCommit(false);
        for (int i = 0; i < READERS; i++) {
            Connection c = connect(file);
            readers.add(new Reader(c, c.prepareStatement(SELECT_SAMPLES)));
        }
        writerThread = Thread.ofPlatform().daemon().name("call-store-writer").start(this::writeLoop);
    }

    /** Opens (creating if needed) the store at {@code file}. */
    public static CallStore open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            return new CallStore(file);
        } catch (SQLException | java.io.IOException e) {
            throw new StoreException("cannot open call store " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() { return file; }

    private static Connection connect(Path file) throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout=30000");
        }
        return c;
    }

    /** The stored rows (ok or failed) of samples {@code 0..n-1} of a request, by sample index. */
    public Map<Integer, StoredSample> samples(String requestKey, int n) {
        Reader reader = takeReader();
        try {
            PreparedStatement ps = reader.samples();
            ps.setString(1, requestKey);
            ps.setInt(2, n);
            Map<Integer, StoredSample> out = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    StoredSample s = new StoredSample(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4),
                            rs.getString(5).equals("ok"), rs.getString(6), rs.getString(7), rs.getLong(8),
                            rs.getLong(9), rs.getString(10), rs.getInt(11));
                    out.put(s.sampleIndex(), s);
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot read call store " + file + ": " + e.getMessage(), e);
        } finally {
            readers.add(reader);
        }
    }

    /** Counts of stored rows: [ok, failed]. */
    public long[] counts() {
        Reader reader = takeReader();
        try (Statement st = reader.connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT COALESCE(SUM(status = 'ok'), 0), COALESCE(SUM(status = 'failed'), 0) FROM calls")) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2)};
        } catch (SQLException e) {
            throw new StoreException("cannot read call store " + file + ": " + e.getMessage(), e);
        } finally {
            readers.add(reader);
        }
    }

    private Reader takeReader() {
        if (closed) throw new StoreException("call store " + file + " is closed", null);
        try {
            return readers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while reading " + file, e);
        }
    }

    /**
     * Stores rows durably; returns after the commit. A completed sample is never overwritten: a row
     * replaces an existing one only when that one is a failure (a retried failure that failed again
     * keeps counting its attempts).
     */
    public void putAll(List<StoredSample> rows) {
        CompletableFuture<Void> done = putAllAsync(rows);
        try {
            done.get();
        } catch (InterruptedException e) {
            // The rows are queued and will still be committed; the caller just stops waiting.
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while storing to " + file, e);
        } catch (ExecutionException e) {
            throw new StoreException("cannot write call store " + file + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    public void put(StoredSample row) { putAll(List.of(row)); }

    /**
     * Queues rows for the next group commit; the future completes (on the writer thread, so keep
     * its callbacks short) once they are durable, or exceptionally when the commit failed.
     */
    public CompletableFuture<Void> putAllAsync(List<StoredSample> rows) {
        if (rows.isEmpty()) return CompletableFuture.completedFuture(null);
        if (closed) return CompletableFuture.failedFuture(new StoreException("call store " + file + " is closed", null));
        Batch b = new Batch(List.copyOf(rows), new CompletableFuture<>());
        queue.add(b);
        return b.done;
    }

    private void writeLoop() {
        List<Batch> group = new ArrayList<>();
        while (true) {
            group.clear();
            try {
                group.add(queue.take());
            } catch (InterruptedException e) {
                continue; // only close() stops us, by POISON
            }
            queue.drainTo(group);
            boolean stop = group.remove(POISON);
            if (!group.isEmpty()) commit(group);
            if (stop) {
                Batch late;
                while ((late = queue.poll()) != null) {
                    if (late != POISON) commit(List.of(late));
                }
                return;
            }
        }
    }

    private void commit(List<Batch> group) {
        try (PreparedStatement ps = writer.prepareStatement("""
                INSERT INTO calls (key, request_key, sample_index, model, status, text, finish_reason,
                                   prompt_tokens, completion_tokens, error, attempts, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET
                  status = excluded.status, text = excluded.text, finish_reason = excluded.finish_reason,
                  prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
                  error = excluded.error, attempts = calls.attempts + excluded.attempts,
                  updated_at = excluded.updated_at
                WHERE calls.status = 'failed'""")) {
            long now = System.currentTimeMillis();
            for (Batch b : group) {
                for (StoredSample s : b.rows) {
                    ps.setString(1, s.key());
                    ps.setString(2, s.requestKey());
                    ps.setInt(3, s.sampleIndex());
                    ps.setString(4, s.model());
                    ps.setString(5, s.ok() ? "ok" : "failed");
                    ps.setString(6, s.text());
                    ps.setString(7, s.finishReason());
                    ps.setLong(8, s.promptTokens());
                    ps.setLong(9, s.completionTokens());
                    ps.setString(10, s.error());
                    ps.setInt(11, s.attempts());
                    ps.setLong(12, now);
                    ps.addBatch();
                }
            }
            ps.executeBatch();
            writer.commit();
            for (Batch b : group) b.done.complete(null);
        } catch (SQLException | RuntimeException e) {
            try {
                writer.rollback();
            } catch (SQLException ignored) {
                // the original error is what matters
            }
            for (Batch b : group) b.done.completeExceptionally(e);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        queue.add(POISON);
        try {
            writerThread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            writer.close();
            for (Reader r : readers) {
                r.samples().close();
                r.connection().close();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot close call store " + file + ": " + e.getMessage(), e);
        }
    }
}
