package dev.selftaught.testing;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a child JVM from this JVM's java.home, with its module/native-access flags and the test classpath. */
public final class ChildJvm {
    private ChildJvm() {}

    /**
     * The command line that runs {@code mainClass} of the test classpath in a new JVM (this JVM's
     * java, module and native-access flags), as one /bin/sh string with every word quoted: a
     * {@code serve.command} or {@code train.command} that runs the project's own CLI.
     */
    public static String shellCommand(String mainClass, String maxHeap) {
        StringBuilder sb = new StringBuilder();
        for (String w : jvm(maxHeap)) sb.append(quote(w)).append(' ');
        return sb.append("-cp ").append(quote(System.getProperty("java.class.path"))).append(' ').append(mainClass).toString();
    }

    public static String quote(String s) { return "'" + s.replace("'", "'\\''") + "'"; }

    private static List<String> jvm(String maxHeap) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> parent = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (int i = 0; i < parent.size(); i++) {
            String a = parent.get(i);
            if (a.startsWith("--enable-native-access") || a.startsWith("--add-modules=")) cmd.add(a);
            else if (a.equals("--add-modules") && i + 1 < parent.size()) {
                cmd.add(a);
                cmd.add(parent.get(++i));
            }
        }
        cmd.add("-Xmx" + maxHeap);
        cmd.add("-XX:+UseSerialGC");
        return cmd;
    }

    public static Process start(String mainClass, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> parent = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (int i = 0; i < parent.size(); i++) {
            String a = parent.get(i);
            if (a.startsWith("--enable-native-access") || a.startsWith("--add-modules=")) cmd.add(a);
            else if (a.equals("--add-modules") && i + 1 < parent.size()) {
                cmd.add(a);
                cmd.add(parent.get(++i));
            }
        }
        cmd.add("-Xmx512m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1"); // fast start-up; these children run for a second or two
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
