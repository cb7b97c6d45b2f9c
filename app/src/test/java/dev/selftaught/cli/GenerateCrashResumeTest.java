package dev.selftaught.cli;

import dev.selftaught.store.RunDirectory;
import dev.selftaught.testing.ChildJvm;
import dev.selftaught.testing.OpenAiTestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Kills {@code generate} (a child JVM) with SIGKILL at several points, resumes it, and checks that
 * the final output is byte-for-byte the output of an uninterrupted run, and that no call whose
 * result was already stored at a kill was ever sent again (by the server's own request log).
 */
class GenerateCrashResumeTest {

    @TempDir
    Path dir;

    static final int ROWS = 150;

    private Path writeInput() throws Exception {
        Path in = dir.resolve("in.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ROWS; i++) {
            if (i % 3 == 0) sb.append("{\"id\":").append(i).append(",\"prompt\":\"p").append(i).append("\"}\n");
            else sb.append("{\"id\":\"q").append(i).append("\",\"messages\":[{\"role\":\"user\",\"content\":\"m").append(i).append("\"}]}\n");
        }
        Files.writeString(in, sb);
        return in;
    }

    private static String[] args(OpenAiTestServer server, Path in, Path out, Path run) {
        return new String[] {"generate", "--model", server.url(), "--input", in.toString(), "--output", out.toString(),
                "--run-dir", run.toString(), "--n", "2", "--seed", "7", "--max-tokens", "8", "--concurrency", "4",
                "--retry-delay", "5ms"};
    }

    /** (tag|seed) of every sample stored in a run's call store. */
    private static Set<String> storedSamples(Path run) throws Exception {
        Set<String> out = new HashSet<>();
        Path db = run.resolve(RunDirectory.CALLS_FILE);
        if (!Files.exists(db)) return out;
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + db); var st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT text FROM calls WHERE status = 'ok'")) {
            while (rs.next()) {
                String t = rs.getString(1); // echo:TAG|seed=S|choice=0
                out.add(t.substring(5, t.indexOf("|choice=")));
            }
        }
        return out;
    }

    @Test
    void killedRunsResumeToTheUninterruptedOutputWithoutRepeatingStoredCalls() throws Exception {
        Path in = writeInput();
        Path reference = dir.resolve("reference.jsonl");
        try (OpenAiTestServer server = new OpenAiTestServer("m")) {
            var err = new StringWriter();
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err));
            assertEquals(0, cl.execute(args(server, in, reference, dir.resolve("ref.run"))), err.toString());
        }

        Path out = dir.resolve("out.jsonl");
        Path run = dir.resolve("out.run");
        try (OpenAiTestServer server = new OpenAiTestServer("m")) {
            server.delayMillis = 10;
            int[] killAt = {40, 140};
            List<Integer> logMarks = new ArrayList<>();
            List<Set<String>> storedAtKill = new ArrayList<>();
            for (int k : killAt) {
                Process child = ChildJvm.start(Main.class.getName(), args(server, in, out, run));
                long until = System.nanoTime() + 60_000_000_000L;
                while (server.log.size() < k && child.isAlive() && System.nanoTime() < until) Thread.sleep(2);
                assertTrue(child.isAlive(), "the child finished before the kill point " + k + " (make the run longer)");
                child.destroyForcibly(); // SIGKILL
                assertTrue(child.waitFor(20, TimeUnit.SECONDS));
                assertEquals(137, child.exitValue(), "killed by SIGKILL");
                assertFalse(Files.exists(out), "no output from a killed run");
                logMarks.add(server.log.size());
                storedAtKill.add(storedSamples(run));
            }
            assertTrue(storedAtKill.get(0).size() > 0, "something was stored before the first kill");
            assertTrue(storedAtKill.get(1).size() > storedAtKill.get(0).size(), "progress between kills");

            Process last = ChildJvm.start(Main.class.getName(), args(server, in, out, run));
            assertTrue(last.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, last.exitValue());
            assertEquals(Files.readString(reference), Files.readString(out), "resumed output equals the uninterrupted run's");
            try (var files = Files.list(dir)) {
                List<String> leftovers = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
                assertEquals(List.of(), leftovers, "the killed runs' temporary files beside the output are gone after the resume");
            }

            // No call stored at a kill was sent again afterwards.
            List<OpenAiTestServer.Logged> log = List.copyOf(server.log);
            for (int k = 0; k < killAt.length; k++) {
                for (OpenAiTestServer.Logged l : log.subList(logMarks.get(k), log.size())) {
                    String sample = l.tag() + "|seed=" + l.seed();
                    assertFalse(storedAtKill.get(k).contains(sample), "stored sample " + sample + " was requested again after kill " + k);
                }
            }
            // Only calls not yet durable at a kill (in flight, or answered and waiting for the
            // group commit) may have been sent twice: a bounded few per kill, never the stored ones.
            assertTrue(log.size() <= ROWS * 2 + 40 * killAt.length, "requests " + log.size());
            assertEquals(ROWS * 2, storedSamples(run).size());
        }
    }
}
