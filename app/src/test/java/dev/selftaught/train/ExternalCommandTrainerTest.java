package dev.selftaught.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ExternalCommandTrainerTest {
    @TempDir Path dir;

    private TrainJob job() throws Exception {
        Path data = dir.resolve("round 1/sft.jsonl"); // a space: placeholders must be quoted
        Files.createDirectories(data.getParent());
        Files.writeString(data, "{\"messages\": []}\n{\"messages\": []}\n");
        return new TrainJob(data, null, "embedded:/models/it's-seed", dir.resolve("round 1/model"), Map.of("lr", "1e-6"));
    }

    @Test
    void fillsPlaceholdersQuotedRunsTheCommandAndCapturesTheLog() throws Exception {
        TrainJob job = job();
        Path log = dir.resolve("round 1/train.log");
        String cmd = "echo training on {data} from {base} lr={setting.lr}; wc -l < {data} > {output}/rows.txt; echo done >&2";
        String spec = new ExternalCommandTrainer(cmd, null, log, null).train(job);
        assertEquals("embedded:" + job.outputDir().toAbsolutePath(), spec);
        assertEquals("2", Files.readString(job.outputDir().resolve("rows.txt")).strip());
        String text = Files.readString(log);
        assertTrue(text.contains("training on " + job.data().toAbsolutePath() + " from embedded:/models/it's-seed lr=1e-6"), text);
        assertTrue(text.contains("done"), "stderr captured too: " + text);
        assertTrue(text.contains("[exit code 0]"), text);
    }

    @Test
    void aFailingCommandStopsWithItsExitCodeAndLogTail() throws Exception {
        TrainJob job = job();
        Path log = dir.resolve("train.log");
        String cmd = "for i in 1 2 3 4 5; do echo step $i; done; echo 'CUDA out of memory' >&2; exit 3";
        var e = assertThrows(ExternalCommandTrainer.TrainingFailed.class,
                () -> new ExternalCommandTrainer(cmd, "http://localhost:8000/v1#{output}", log, null).train(job));
        assertTrue(e.getMessage().contains("code 3"), e.getMessage());
        assertTrue(e.getMessage().contains("CUDA out of memory"), e.getMessage());
        assertTrue(e.getMessage().contains("step 5"), e.getMessage());
    }

    @Test
    void resultSpecTemplateAndTimeout() throws Exception {
        TrainJob job = job();
        String spec = new ExternalCommandTrainer("true", "http://localhost:8000/v1#{output}", dir.resolve("a.log"), null).train(job);
        assertEquals("http://localhost:8000/v1#" + job.outputDir().toAbsolutePath(), spec);
        var e = assertThrows(ExternalCommandTrainer.TrainingFailed.class, () ->
                new ExternalCommandTrainer("sleep 5", null, dir.resolve("b.log"), java.time.Duration.ofMillis(300)).train(job));
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
    }

    /** Values that a shell would run or split, used as paths and settings. */
    static final String HOSTILE = "$(touch PWNED) `touch PWNED2` 'q\" {output}\n;x";

    @Test
    void placeholdersAreFilledInOnePassAndHostileValuesStayLiteral() throws Exception {
        Path round = dir.resolve("run $(touch PWNED3) 'x\"y\nz");
        Files.createDirectories(round);
        Path data = round.resolve("sft.jsonl");
        Files.writeString(data, "{}\n");
        TrainJob job = new TrainJob(data, null, "embedded:" + HOSTILE, round.resolve("model"),
                Map.of("a", HOSTILE, "b", "{output}", "c", "{setting.a}"));
        // printf writes each argument NUL-terminated, so the exact words the shell passed can be checked.
        String cmd = "cd {output} && printf '%s\\0' {setting.a} {setting.b} {setting.c} {base} {output} {data} > args.bin";
        new ExternalCommandTrainer(cmd, null, dir.resolve("hostile.log"), null).train(job);
        String[] args = Files.readString(job.outputDir().resolve("args.bin")).split("\0", -1);
        assertEquals(7, args.length, String.join("|", args)); // six words and the empty tail after the last NUL
        assertEquals(HOSTILE, args[0]);
        assertEquals("{output}", args[1], "a value is never substituted again");
        assertEquals("{setting.a}", args[2]);
        assertEquals("embedded:" + HOSTILE, args[3]);
        assertEquals(job.outputDir().toAbsolutePath().toString(), args[4]);
        assertEquals(data.toAbsolutePath().toString(), args[5]);
        try (var all = Files.walk(dir)) {
            assertEquals(List.of(), all.filter(f -> f.getFileName().toString().startsWith("PWNED")).toList(), "nothing ran as shell");
        }
        assertFalse(Files.exists(Path.of("PWNED")) || Files.exists(Path.of("PWNED2")) || Files.exists(Path.of("PWNED3")));
        var missing = assertThrows(dev.selftaught.data.InputError.class,
                () -> new ExternalCommandTrainer("echo {setting.nope}", null, dir.resolve("m.log"), null).render(job));
        assertTrue(missing.getMessage().contains("{setting.nope}"), missing.getMessage());
        assertEquals("echo ${HOME} awk '{print $1}'", new ExternalCommandTrainer("echo ${HOME} awk '{print $1}'", null, dir.resolve("n.log"), null).render(job),
                "shell and awk braces are left alone");
    }

    @Test
    void aTimeoutKillsTheWholeProcessGroupIncludingGrandchildren() throws Exception {
        TrainJob job = job();
        Path pids = dir.resolve("pids.txt");
        // The shell starts a child shell that starts a grandchild sleep in the background, then waits.
        String cmd = "sh -c 'sleep 300 & echo $! >> " + pids + "; wait' & echo $! >> " + pids + "; wait";
        long t0 = System.nanoTime();
        var e = assertThrows(ExternalCommandTrainer.TrainingFailed.class, () ->
                new ExternalCommandTrainer(cmd, null, dir.resolve("t.log"), java.time.Duration.ofMillis(1500)).train(job));
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        assertTrue((System.nanoTime() - t0) / 1e9 < 30, "the timeout returned promptly");
        List<Long> started = Files.readAllLines(pids).stream().map(String::strip).filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
        assertEquals(2, started.size(), "the grandchild sleep and the child shell: " + started);
        for (long pid : started) {
            long until = System.nanoTime() + 5_000_000_000L;
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < until) Thread.sleep(20);
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "PID " + pid + " survived the timeout");
        }
    }

    @Test
    void exitZeroWithoutAModelIsAnError() throws Exception {
        TrainJob job = job();
        var e = assertThrows(ExternalCommandTrainer.TrainingFailed.class, () ->
                new ExternalCommandTrainer("echo pretending to train", null, dir.resolve("z.log"), null).train(job));
        assertTrue(e.getMessage().contains("exited with code 0 but wrote nothing to " + job.outputDir().toAbsolutePath()), e.getMessage());
        assertTrue(e.getMessage().contains("pretending to train"), "the log tail is shown: " + e.getMessage());
    }
}
