package dev.selftaught.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A real {@code selftaught serve} child process, started from a ProcessBuilder: its stderr is read on
 * a daemon thread, and {@link #start} returns once the server has printed the URL it listens on.
 */
public final class ServeProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("on (http://127\\.0\\.0\\.1:\\d+/v1)");

    public final Process process;
    /** The served base URL, {@code http://127.0.0.1:PORT/v1}. */
    public final String url;
    /** Everything the server printed on stderr up to and including the line with its URL. */
    public final String startupLog;
    private final LinkedBlockingQueue<String> lines;
    private final Thread reader;

    private ServeProcess(Process process, String url, String startupLog, LinkedBlockingQueue<String> lines, Thread reader) {
        this.process = process;
        this.url = url;
        this.startupLog = startupLog;
        this.lines = lines;
        this.reader = reader;
    }

    /** Starts {@code pb} and waits for the listening line; fails the test, showing stderr, when a line takes longer than {@code wait}. */
    public static ServeProcess start(ProcessBuilder pb, Duration wait) throws Exception {
        Process p = pb.start();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            } catch (Exception ignored) {
                // the process ended
            }
        });
        try {
            StringBuilder seen = new StringBuilder();
            while (true) {
                String l = lines.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
                assertNotNull(l, "serve did not start; stderr so far:\n" + seen);
                seen.append(l).append('\n');
                Matcher m = LISTENING.matcher(l);
                if (m.find()) return new ServeProcess(p, m.group(1), seen.toString(), lines, reader);
            }
        } catch (Throwable t) {
            p.destroyForcibly();
            throw t;
        }
    }

    /** What stderr printed after start-up, once it has ended (waiting at most {@code wait}). */
    public String laterLog(Duration wait) throws InterruptedException {
        reader.join(wait.toMillis());
        return String.join("\n", lines);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
