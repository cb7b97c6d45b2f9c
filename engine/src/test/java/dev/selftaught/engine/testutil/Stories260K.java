package dev.selftaught.engine.testutil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The real stories260K checkpoint and its oracle file in the shared data directory. */
public final class Stories260K {
    private Stories260K() {}

    public static Path dir() {
        return SharedData.dir().resolve("llama2c_stories260K");
    }

    public static Path checkpoint() { return dir().resolve("stories260K.bin"); }

    public static Path tokenizer() { return dir().resolve("tok512.bin"); }

    /** The greedy ids from BOS listed in VERIFY_greedy_output.txt. */
    public static int[] verifiedGreedyIds() throws IOException {
        for (String line : verifyLines()) {
            if (line.startsWith("greedy token ids from BOS:")) {
                String list = line.substring(line.indexOf('[') + 1, line.lastIndexOf(']'));
                return Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            }
        }
        throw new IllegalStateException("no id line in VERIFY_greedy_output.txt");
    }

    /** The text line of VERIFY_greedy_output.txt (the decoded greedy continuation). */
    public static String verifiedGreedyText() throws IOException {
        return verifyLines().get(1);
    }

    private static List<String> verifyLines() throws IOException {
        return Files.readAllLines(dir().resolve("VERIFY_greedy_output.txt"));
    }
}
