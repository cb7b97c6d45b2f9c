package dev.selftaught.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Command templates the user writes in a config ({@code train.command}, {@code serve.command}) and
 * how they are run: placeholders filled in one pass, values shell-quoted, the command in a process
 * group of its own so that it can be ended with everything it started.
 */
public final class ShellCommand {
    private ShellCommand() {}

    /**
     * Fills {@code {NAME}} placeholders in one pass over the template: {@code values} gives a
     * placeholder's value or null (then the brace text is left as it is: shell {@code ${VAR}}, awk
     * programs). A substituted value is never scanned again, so a value holding "{output}" or
     * "$(...)" stays that literal text; with {@code quote} every value is single-quoted for /bin/sh.
     */
    public static String render(String template, Function<String, String> values, boolean quote) {
        StringBuilder out = new StringBuilder(template.length() + 256);
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            int close = c == '{' ? template.indexOf('}', i + 1) : -1;
            if (close > 0) {
                String value = values.apply(template.substring(i + 1, close));
                if (value != null) {
                    out.append(quote ? quote(value) : value);
                    i = close + 1;
                    continue;
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    /** Single-quotes a value for /bin/sh. */
    public static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** {@code setsid} when this system has it (Linux: util-linux), else null (then descendants are ended one by one). */
    public static final String SETSID = java.util.stream.Stream.of("/usr/bin/setsid", "/bin/setsid")
            .filter(f -> Files.isExecutable(Path.of(f))).findFirst().orElse(null);

    /** The argv that runs {@code line} with /bin/sh in a new session (so its PID is its process group's id). */
    public static List<String> argv(String line) {
        List<String> argv = new ArrayList<>();
        if (SETSID != null) argv.addAll(List.of(SETSID, "-w"));
        argv.addAll(List.of("/bin/sh", "-c", line));
        return argv;
    }

    /** Sends {@code signal} (TERM, KILL) to the process group {@code pgid}; false when kill(1) failed (e.g. no such group). */
    public static boolean signalGroup(long pgid, String signal) {
        try {
            Process k = new ProcessBuilder("kill", "-" + signal, "--", "-" + pgid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return k.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && k.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The last {@code lines} lines of a log file (or why it cannot be read). */
    public static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", new ArrayList<>(all.subList(Math.max(0, all.size() - lines), all.size())));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }
}
