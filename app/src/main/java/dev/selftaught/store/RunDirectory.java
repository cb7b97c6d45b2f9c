package dev.selftaught.store;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * A run directory owned by one process at a time. Opening it takes an exclusive lock on the file
 * {@code lock} ({@link FileChannel#tryLock()}: an OS lock, released by the OS when the process
 * dies, even by SIGKILL, so a crashed run never leaves a stale lock) and writes the owner's PID
 * into it; a second process is refused with a message naming that PID. The call store lives in
 * {@code calls.sqlite} beside it.
 */
public final class RunDirectory implements AutoCloseable {

    public static final String LOCK_FILE = "lock";
    public static final String CALLS_FILE = "calls.sqlite";

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;
    private CallStore store;

    private RunDirectory(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /** Creates the directory if needed and takes ownership of it, or throws {@link RunLockedException}. */
    public static RunDirectory open(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StoreException("cannot create run directory " + dir + ": " + e.getMessage(), e);
        }
        Path lockFile = dir.resolve(LOCK_FILE);
        FileChannel ch = null;
        try {
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very JVM
            }
            if (lock == null) {
                String holder = describeHolder(lockFile);
                ch.close();
                throw new RunLockedException("run directory " + dir + " is in use by " + holder
                        + "; wait for it to finish (or stop it), or use another --run-dir");
            }
            String owner = "pid=" + ProcessHandle.current().pid() + " host=" + hostName() + " since=" + Instant.now() + "\n";
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(owner.getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(true);
            removeOrphanedTempFiles(dir);
            return new RunDirectory(dir, ch, lock);
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // reporting the first error
                }
            }
            throw new StoreException("cannot lock run directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Deletes the temporary files of atomic writes ({@code .NAME.<digits>.tmp} or {@code .NAME.<pid>-<digits>.tmp}, see
     * {@code AtomicFiles.tempBeside}) that a killed owner left behind. Safe only while holding the
     * lock: no other process can be writing one. Their targets were never renamed into place, so
     * nothing finished is lost; without this, a resumed run's directory would not match an
     * uninterrupted one.
     */
    static int removeOrphanedTempFiles(Path dir) throws IOException {
        int removed = 0;
        try (var files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                if (ORPHAN.matcher(p.getFileName().toString()).matches() && Files.deleteIfExists(p)) removed++;
            }
        }
        return removed;
    }

    private static final java.util.regex.Pattern ORPHAN = java.util.regex.Pattern.compile("\\..+\\.[0-9]+(-[0-9]+)?\\.tmp");

    private static String describeHolder(Path lockFile) {
        try {
            String s = Files.readString(lockFile, StandardCharsets.UTF_8).strip();
            int p = s.indexOf("pid=");
            if (p >= 0) {
                int end = s.indexOf(' ', p);
                String pid = s.substring(p + 4, end < 0 ? s.length() : end);
                return "another process (PID " + pid + (pid.equals(String.valueOf(ProcessHandle.current().pid())) ? ", this one" : "")
                        + ", " + s + ")";
            }
        } catch (IOException | RuntimeException ignored) {
            // fall through
        }
        return "another process (PID unknown)";
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    public Path dir() { return dir; }

    public Path resolve(String name) { return dir.resolve(name); }

    /** The run's call store, opened on first use and closed with the directory. */
    public synchronized CallStore callStore() {
        if (store == null) store = CallStore.open(dir.resolve(CALLS_FILE));
        return store;
    }

    @Override
    public synchronized void close() {
        try {
            if (store != null) store.close();
        } finally {
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                throw new StoreException("cannot release lock of " + dir + ": " + e.getMessage(), e);
            }
        }
    }
}
