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

    /**
     * A new empty temporary file beside {@code target} (same directory, so the rename is atomic),
     * named {@code .NAME.PID-RANDOM.tmp}. Temporary files of the same target that a process no
     * longer alive left behind (a kill -9 before the rename) are deleted first, so a resumed write
     * leaves nothing beside its output; those of live processes are left alone.
     */
    public static Path tempBeside(Path target) throws IOException {
        Path dir = directoryOf(target);
        Files.createDirectories(dir);
        removeDeadTemps(dir, target.getFileName().toString());
        return Files.createTempFile(dir, "." + target.getFileName() + "." + ProcessHandle.current().pid() + "-", ".tmp");
    }

    /** Deletes {@code .NAME.PID-RANDOM.tmp} files in {@code dir} whose PID is not a live process; returns how many. */
    static int removeDeadTemps(Path dir, String name) throws IOException {
        java.util.regex.Pattern mine = java.util.regex.Pattern.compile("\\." + java.util.regex.Pattern.quote(name) + "\\.([0-9]{1,18})-[0-9]+\\.tmp");
        int removed = 0;
        try (var files = Files.newDirectoryStream(dir, "." + globEscape(name) + ".*.tmp")) {
            for (Path p : files) {
                var m = mine.matcher(p.getFileName().toString());
                if (!m.matches()) continue;
                long pid = Long.parseLong(m.group(1));
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                if (Files.deleteIfExists(p)) removed++;
            }
        }
        return removed;
    }

    private static String globEscape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if ("*?[]{}\\".indexOf(c) >= 0) sb.append('\\');
            sb.append(c);
        }
        return sb.toString();
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
