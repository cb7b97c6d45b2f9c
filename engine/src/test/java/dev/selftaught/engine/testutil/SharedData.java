package dev.selftaught.engine.testutil;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The shared test data folder ({@code ../shared/data} beside the checkout; Surefire passes it as
 * the system property {@code shared.data}). Test classes that read it carry
 * {@code @ExtendWith(SharedData.class)}: without the folder they are skipped with the one message
 * {@link #problem()} gives, and {@code SharedDataTest} fails with that same message, so a checkout
 * without the data gives one clear failure instead of many unrelated initialisation errors.
 */
public final class SharedData implements ExecutionCondition {
    /** The subfolders this module's tests read. */
    static final List<String> NEEDED = List.of("llama2c_stories260K", "llama2_tokenizer");

    public static Path dir() {
        return Path.of(System.getProperty("shared.data", "../../shared/data"));
    }

    /** Null when the data is there, else what is missing and where it comes from. */
    public static String problem() {
        Path d = dir().toAbsolutePath().normalize();
        List<String> missing = NEEDED.stream().filter(n -> !Files.isDirectory(d.resolve(n))).toList();
        if (missing.isEmpty()) return null;
        return "test data missing: " + d + (Files.isDirectory(d) ? " lacks " + String.join(", ", missing) : " does not exist")
                + ". It must hold the project's shared test data (" + String.join(", ", NEEDED)
                + " for the engine's tests; see its README.md), which is not part of the repository: put it at ../shared/data"
                + " beside the checkout (README.md, \"Test data\"). Tests that need it are skipped.";
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String p = problem();
        return p == null ? ConditionEvaluationResult.enabled("shared test data present") : ConditionEvaluationResult.disabled(p);
    }
}
