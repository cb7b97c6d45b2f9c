package dev.selftaught.data;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Durable, all-or-nothing file replacement: write a temporary file in the target's directory,
 * fsync it, rename it over the target atomically, fsync the directory. A crash leaves either the
 * old file or the new one, never a mix.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** A new empty temporary file beside {@code target} (same directory, so the rename is atomic). */
    public static Path tempBeside(Path target) throws IOException {
        Path dir = directoryOf(target);
        Files.createDirectories(dir);
        return Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
    }

    /** Fsyncs {@code temp}, renames it to {@code target} atomically and fsyncs the directory. */
    public static void commit(Path temp, Path target) throws IOException {
        fsync(temp);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + temp + " to " + target + " atomically: " + e.getMessage(), e);
        }
        fsyncDirectory(directoryOf(target));
    }

    /** Writes {@code bytes} to {@code target} atomically and durably. */
    public static void write(Path target, byte[] bytes) throws IOException {
        Path temp = tempBeside(target);
        try {
            Files.write(temp, bytes);
            commit(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    static void fsyncDirectory(Path dir) {
        // Makes the rename itself durable. Linux allows fsync on a directory opened read-only;
        // other systems may refuse, and then the rename is as durable as the OS makes it.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort, see above
        }
    }

    static Path directoryOf(Path target) {
        Path abs = target.toAbsolutePath();
        return abs.getParent();
    }
}
