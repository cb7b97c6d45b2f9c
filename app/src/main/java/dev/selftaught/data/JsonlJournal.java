package dev.selftaught.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An append-only, durable JSON Lines file for resumable stage outputs. {@link #append} buffers a
 * line; {@link #sync()} writes the buffered lines and fsyncs, after which they survive a crash.
 * A crash in the middle of a write can leave a torn last line (no '\n'); {@link #open} drops it
 * (truncates the file back to the last '\n'), so the journal always holds whole records.
 * Safe to use from several threads at once.
 *
 * <p>Typical use: {@code open}, read what is already done with {@link #existing()}, then append
 * new results and {@code sync()} every batch; {@code close()} syncs.
 */
public final class JsonlJournal implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final long repairedBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream(1 << 16);
    private long pendingLines;
    private long syncedLines;
    private boolean closed;

    private JsonlJournal(Path file, FileChannel channel, long repairedBytes) {
        this.file = file;
        this.channel = channel;
        this.repairedBytes = repairedBytes;
    }

    /** Opens (creating it and its directory if needed) and repairs a torn last line. */
    public static JsonlJournal open(Path file) {
        try {
            Path dir = AtomicFiles.directoryOf(file);
            Files.createDirectories(dir);
            boolean created = !Files.exists(file);
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            long size = ch.size();
            long keep = endOfLastLine(ch, size);
            if (keep < size) {
                ch.truncate(keep);
                ch.force(true);
            }
            ch.position(keep);
            if (created) AtomicFiles.fsyncDirectory(dir);
            return new JsonlJournal(file, ch, size - keep);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open journal " + file, e);
        }
    }

    /** Offset just past the last '\n' (0 when there is none). */
    private static long endOfLastLine(FileChannel ch, long size) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long end = size;
        while (end > 0) {
            long start = Math.max(0, end - buf.capacity());
            buf.clear().limit((int) (end - start));
            int read = 0;
            while (buf.hasRemaining()) {
                int r = ch.read(buf, start + read);
                if (r < 0) break;
                read += r;
            }
            for (int i = read - 1; i >= 0; i--) {
                if (buf.get(i) == '\n') return start + i + 1;
            }
            end = start;
        }
        return 0;
    }

    public Path file() { return file; }

    /** Bytes of a torn last line dropped when the journal was opened (0 after a clean shutdown). */
    public long repairedBytes() { return repairedBytes; }

    /** The records already in the journal. Call it before appending; empty is allowed. */
    public RecordReader existing() {
        try {
            // Read as JSON Lines whatever the file is called (a journal need not end in .jsonl).
            return new JsonlReader(file, Files.newInputStream(file), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read journal " + file, e);
        }
    }

    /** Buffers one record (a JSON object); durable only after {@link #sync()}. */
    public void append(JsonNode record) {
        if (record == null || !record.isObject()) {
            throw new IllegalArgumentException("a journal record must be a JSON object, got " + DataRecord.describe(record));
        }
        byte[] bytes;
        try {
            bytes = Json.MAPPER.writeValueAsBytes(record);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise a journal record: " + e.getOriginalMessage(), e);
        }
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("journal " + file + " is closed");
            pending.write(bytes, 0, bytes.length);
            pending.write('\n');
            pendingLines++;
        } finally {
            lock.unlock();
        }
    }

    /** Buffers a Java value converted to a JSON object by Jackson. */
    public void appendValue(Object value) {
        append(Json.MAPPER.valueToTree(value));
    }

    /** Appends and syncs one record: durable when this returns. */
    public void appendDurably(JsonNode record) {
        append(record);
        sync();
    }

    /** Writes every buffered line and fsyncs the file. */
    public void sync() {
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("journal " + file + " is closed");
            if (pending.size() > 0) {
                ByteBuffer buf = ByteBuffer.wrap(pending.toByteArray());
                while (buf.hasRemaining()) channel.write(buf);
                pending.reset();
                syncedLines += pendingLines;
                pendingLines = 0;
            }
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write journal " + file, e);
        } finally {
            lock.unlock();
        }
    }

    /** Lines appended by this process and synced so far. */
    public long syncedLines() {
        lock.lock();
        try {
            return syncedLines;
        } finally {
            lock.unlock();
        }
    }

    /** Syncs what is buffered and closes the file. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            sync();
            closed = true;
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close journal " + file, e);
        } finally {
            lock.unlock();
        }
    }
}
