package dev.selftaught.microworld;

import dev.selftaught.eval.JudgeTemplate;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.pipeline.PairsStage;
import dev.selftaught.pipeline.PromptTemplate;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The micro-world's compact prompts: the same slots and markers as the method's full prompts (so
 * the same pipeline stages parse them), a fraction of the length (so a judge prompt with two
 * answers and its judgment fits a 256-token context of the tiny model).
 */
public final class MicroPrompts {
    public static final String JUDGE = "judge.prompt";
    public static final String MODIFIED = "modified_instruction.prompt";
    public static final String BAD = "bad_response.prompt";
    public static final String CATEGORIZE = "categorize.prompt";

    private MicroPrompts() {}

    public static String text(String name) {
        try (InputStream in = MicroPrompts.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static PromptTemplate template(String name) { return new PromptTemplate("microworld/" + name, text(name)); }

    /** The judge template (no system message), parsed as the annotate stage and the evaluator parse a template file. */
    public static JudgeTemplate judge() { return JudgeTemplate.parse("microworld/" + JUDGE, text(JUDGE)); }

    /** The judge's chat messages for one pair shown as A and B. */
    public static List<ChatMessage> renderJudge(String input, String a, String b) {
        return judge().render(Map.of("input", input, "response_a", a, "response_b", b));
    }

    /** The topic labels offered by the categorisation prompt. */
    public static List<String> categories() { return Arrays.stream(Topic.values()).map(Topic::label).toList(); }

    /** {categories} as the select stage renders it: one "- name" line each. */
    public static String categoryList() {
        StringBuilder sb = new StringBuilder();
        for (String c : categories()) sb.append("- ").append(c).append('\n');
        return sb.toString().stripTrailing();
    }

    public static String renderCategorize(String instruction) {
        return template(CATEGORIZE).render(Map.of("categories", categoryList(), "instruction", instruction));
    }

    public static String renderModified(String input, String generation) {
        return template(MODIFIED).render(Map.of("input", input, "generation", generation));
    }

    public static String renderBad(String input, String generation) {
        return template(BAD).render(Map.of("input", input, "generation", generation));
    }

    /** The answer format of the modified-instruction prompt, with the pairs stage's markers. */
    public static String modifiedAnswer(String modifiedInstruction, String answer) {
        return PairsStage.MODIFIED_MARKER + "\n" + modifiedInstruction + "\n" + PairsStage.ANSWER_START + "\n"
                + answer + "\n" + PairsStage.ANSWER_END;
    }

    public static String badAnswer(String worse) {
        return PairsStage.BAD_START + "\n" + worse + "\n" + PairsStage.BAD_END;
    }

    /**
     * A reasoned judgment: the judge's own working of the question ({@code check}, e.g. "37 + 18 = 55."),
     * each answer marked against it, an optional reason for the verdict ({@code tail}, e.g. " B is longer."),
     * then the verdict.
     */
    public static String judgment(String check, boolean aRight, boolean bRight, String tail, char verdict) {
        return "Check: " + check + " A: " + (aRight ? "right" : "wrong") + ". B: " + (bRight ? "right" : "wrong") + "."
                + tail + " [[" + verdict + "]]";
    }

    /** Writes the four prompt files into {@code dir} (for the pipeline's template settings) and returns it. */
    public static Path writeAll(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String n : List.of(JUDGE, MODIFIED, BAD, CATEGORIZE)) Files.writeString(dir.resolve(n), text(n));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
