package dev.selftaught.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class RunDirectoryTest {

    @TempDir
    Path dir;

    @Test
    void secondOwnerInThisProcessIsRefusedAndLockIsReleasedOnClose() {
        Path run = dir.resolve("run");
        try (RunDirectory r = RunDirectory.open(run)) {
            assertNotNull(r.callStore());
            RunLockedException e = assertThrows(RunLockedException.class, () -> RunDirectory.open(run));
            assertTrue(e.getMessage().contains("PID " + ProcessHandle.current().pid()), e.getMessage());
        }
        try (RunDirectory r = RunDirectory.open(run)) {
            assertEquals(run, r.dir());
        }
    }

    /** A real second process holds the lock; we are refused with its PID; after SIGKILL the lock is free. */
    @Test
    void tempFilesOfAtomicWritesLeftByAKilledOwnerAreRemovedOnOpen() throws Exception {
        Path run = dir.resolve("run-orphans");
        Files.createDirectories(run.resolve("pairs"));
        Path orphan = dev.selftaught.data.AtomicFiles.tempBeside(run.resolve("pairs").resolve("pairs.jsonl"));
        Files.writeString(orphan, "half a fi");
        Path kept = run.resolve("pairs").resolve("pairs.jsonl");
        Files.writeString(kept, "{}\n");
        Path userFile = run.resolve(".notes.tmp"); // not an atomic-write temp name: left alone
        Files.writeString(userFile, "x");
        try (RunDirectory r = RunDirectory.open(run)) {
            assertFalse(Files.exists(orphan), orphan.toString());
            assertTrue(Files.exists(kept));
            assertTrue(Files.exists(userFile));
        }
    }

    @Test
    void anotherProcessIsRefusedWithItsPidAndAKilledHolderLeavesNoStaleLock() throws Exception {
        Path run = dir.resolve("run2");
        Process child = dev.selftaught.testing.ChildJvm.start(LockHolder.class.getName(), run.toString());
        try {
            var out = new BufferedReader(new InputStreamReader(child.getInputStream()));
            assertEquals("locked", out.readLine());
            RunLockedException e = assertThrows(RunLockedException.class, () -> RunDirectory.open(run));
            assertTrue(e.getMessage().contains("PID " + child.pid()), e.getMessage());
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        }
        try (RunDirectory r = RunDirectory.open(run)) {
            assertNotNull(r.callStore());
        }
    }

    /** generate on a run directory another process owns: exit 1, the holder's PID named, no output. */
    @Test
    void generateIsRefusedWhileAnotherProcessOwnsTheRunDirectory() throws Exception {
        Path run = dir.resolve("run3");
        Path in = dir.resolve("in.jsonl");
        java.nio.file.Files.writeString(in, "{\"prompt\":\"x\"}\n");
        Path out = dir.resolve("out.jsonl");
        Process child = dev.selftaught.testing.ChildJvm.start(LockHolder.class.getName(), run.toString());
        try {
            assertEquals("locked", new BufferedReader(new InputStreamReader(child.getInputStream())).readLine());
            var err = new java.io.StringWriter();
            var cl = dev.selftaught.cli.Main.commandLine();
            cl.setErr(new java.io.PrintWriter(err));
            int code = cl.execute("generate", "--model", "http://127.0.0.1:9/v1#m", "--input", in.toString(),
                    "--output", out.toString(), "--run-dir", run.toString());
            assertEquals(1, code, err.toString());
            assertTrue(err.toString().contains("in use by another process (PID " + child.pid()), err.toString());
            assertFalse(java.nio.file.Files.exists(out));
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        }
    }

    /** Child-process main: holds a run directory until killed. */
    public static final class LockHolder {
        public static void main(String[] args) throws Exception {
            RunDirectory.open(Path.of(args[0]));
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(60_000);
        }
    }
}
