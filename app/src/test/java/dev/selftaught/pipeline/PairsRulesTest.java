package dev.selftaught.pipeline;

import dev.selftaught.llm.Completion;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.pipeline.Records.Instruction;
import dev.selftaught.pipeline.Records.Pair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The pairs' validation, reason by reason: what a usable y_w is, where x' and y_l are cut from
 * the second call's output, which pairs are dropped and how each drop is counted.
 */
class PairsRulesTest {
    @TempDir Path dir;

    static final String MOD = PairsStage.MODIFIED_MARKER, START = PairsStage.ANSWER_START, END = PairsStage.ANSWER_END;

    /** A model answering from the last user message; it may throw to fail that call. */
    record TextModel(Function<String, String> answer) implements LanguageModel {
        @Override public String identity() { return "text-model"; }

        @Override public ModelResponse complete(ModelRequest r) {
            return new ModelResponse(List.of(new Completion(answer.apply(r.messages().getLast().content()), "stop")), null);
        }
    }

    static Instruction x(String id, String text) { return new Instruction(id, text, "test", null); }

    static String modified(String xp, String yl) { return MOD + "\n" + xp + "\n\n" + START + "\n" + yl + "\n" + END; }

    /** Call 1 (a plain question) answers by {@code first}; call 2 (the template) by {@code second} on the question. */
    static TextModel model(Function<String, String> first, Function<String, String> second) {
        return new TextModel(user -> {
            if (!user.contains("[User Question]")) return first.apply(user);
            String q = user.substring(user.indexOf("[User Question]\n") + 16, user.indexOf("\n\n", user.indexOf("[User Question]\n")));
            return second.apply(q);
        });
    }

    @Test
    void everyDropReasonIsCountedOnce() {
        List<Instruction> xs = List.of(x("ok", "keep me"), x("err1", "first call fails"), x("blank", "blank answer"),
                x("err2", "second call fails"), x("nomod", "no modified marker"), x("nostart", "no answer start"),
                x("noend", "no answer end"), x("emptyx", "empty x prime"), x("emptyy", "empty y_l"), x("same", "same question"));
        TextModel m = model(q -> {
            if (q.equals("first call fails")) throw new ModelException("boom", false);
            return q.equals("blank answer") ? "  \n " : "  yw for " + q + "\n";
        }, q -> switch (q) {
            case "second call fails" -> throw new ModelException("boom", false);
            case "no modified marker" -> "x': other\n" + START + "\nyl\n" + END;
            case "no answer start" -> MOD + "\nother\n" + END;
            case "no answer end" -> MOD + "\nother\n" + START + "\nyl";
            case "empty x prime" -> modified("  ", "yl");
            case "empty y_l" -> modified("other", " \n ");
            case "same question" -> modified("same question  ", "yl");
            default -> modified("  " + q + " but otherwise \n", "\n the answer to the other question  ");
        });
        PairsStage.Result r = new PairsStage(PairsSettings.defaults(), m, 1, ProgressFactory.NONE).run(xs);
        assertEquals(List.of(new Pair("ok", "keep me", "keep me but otherwise", "yw for keep me", "the answer to the other question",
                "modified_instruction")), r.pairs(), "x', y_w and y_l are stripped");
        var expected = new java.util.LinkedHashMap<String, Long>();
        expected.put("instructions", 10L);
        expected.put("model_error", 2L);
        expected.put("empty_chosen", 1L);
        expected.put("missing_modified_marker", 1L);
        expected.put("missing_answer_marker", 2L);
        expected.put("empty_modified_instruction", 1L);
        expected.put("empty_rejected", 1L);
        expected.put("same_instruction", 1L);
        expected.put("same_as_chosen", 0L);
        expected.put("kept", 1L);
        assertEquals(expected, r.stats());
        assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(r.stats().keySet()), "the documented order");
    }

    @Test
    void modifiedOutputIsCutBetweenItsMarkersInOrder() {
        assertEquals(new PairsStage.Parsed("x2", "y2", null), PairsStage.parseModified("preamble " + modified("x2", "y2") + " trailer", "x"));
        // The answer markers count only after the modified-instruction marker.
        String answerFirst = START + "\nearly\n" + END + "\n" + MOD + "\nx2\n";
        assertEquals(new PairsStage.Parsed(null, null, "missing_answer_marker"), PairsStage.parseModified(answerFirst, "x"));
        // The end marker counts only after the start marker.
        String endFirst = MOD + "\nx2\n" + END + "\n" + START + "\ny2\n";
        assertEquals(new PairsStage.Parsed(null, null, "missing_answer_marker"), PairsStage.parseModified(endFirst, "x"));
        assertEquals(new PairsStage.Parsed(null, null, "missing_modified_marker"), PairsStage.parseModified(START + "a" + END, "x"));
        // An empty x' is reported before an empty y_l; an empty y_l keeps x' for the record.
        assertEquals(new PairsStage.Parsed(null, null, "empty_modified_instruction"), PairsStage.parseModified(modified("", ""), "x"));
        assertEquals(new PairsStage.Parsed("x2", null, "empty_rejected"), PairsStage.parseModified(modified("x2", ""), "x"));
        assertEquals(new PairsStage.Parsed("x", "y", "same_instruction"), PairsStage.parseModified(modified("x", "y"), "x"));
        assertEquals("same_instruction", PairsStage.parseModified(modified("line one  \nline two", "y"), "line one\nline two").dropReason(),
                "trailing spaces do not make another question");
        // The first end marker after the start ends y_l.
        assertEquals("y2", PairsStage.parseModified(modified("x2", "y2") + "\n" + END, "x").rejected());
    }

    @Test
    void badResponseOutputIsCutBetweenItsMarkers() {
        String s = PairsStage.BAD_START, e = PairsStage.BAD_END;
        assertEquals(new PairsStage.Parsed(null, "worse", null), PairsStage.parseBad("intro " + s + "\n worse \n" + e + " " + e, "better"));
        assertEquals(new PairsStage.Parsed(null, null, "missing_answer_marker"), PairsStage.parseBad("worse " + e, "better"));
        assertEquals(new PairsStage.Parsed(null, null, "missing_answer_marker"), PairsStage.parseBad(s + " worse", "better"));
        assertEquals(new PairsStage.Parsed(null, null, "missing_answer_marker"), PairsStage.parseBad(e + " worse " + s, "better"));
        assertEquals(new PairsStage.Parsed(null, null, "empty_rejected"), PairsStage.parseBad(s + " \n " + e, "better"));
        assertEquals(new PairsStage.Parsed(null, "better", "same_as_chosen"), PairsStage.parseBad(s + "better  \n" + e, "better"));
        assertEquals("same_as_chosen", PairsStage.parseBad(s + "same\n" + e, "same").dropReason());
        // In a run: y_l of the bad-response method, counted drops.
        TextModel m = model(q -> "good answer to " + q, q -> q.equals("copy") ? s + "good answer to copy" + e
                : q.equals("none") ? "no markers" : s + "bad answer to " + q + e);
        var r = new PairsStage(new PairsSettings(PairsSettings.BAD, null, 0.7, 0.9, 64, 1), m, 1, ProgressFactory.NONE)
                .run(List.of(x("1", "fine"), x("2", "copy"), x("3", "none")));
        assertEquals(List.of(new Pair("1", "fine", null, "good answer to fine", "bad answer to fine", "bad_response")), r.pairs());
        assertEquals(1L, r.stats().get("same_as_chosen"));
        assertEquals(1L, r.stats().get("missing_answer_marker"));
        assertEquals(1L, r.stats().get("kept"));
    }

    @Test
    void theStageWritesItsFilesAndReadsThemBackWhenDone() throws Exception {
        Path xf = dir.resolve("instructions.jsonl");
        PipelineIo.writeJsonl(xf, List.of(x("a", "Explain gravity"), x("b", "NOMARKER question")));
        Path out = dir.resolve("pairs");
        ScriptedModel gen = new ScriptedModel("gen", 1.0);
        PairsStage stage = new PairsStage(PairsSettings.defaults(), gen, 1, ProgressFactory.NONE);
        PairsStage.Result first = stage.runInto(out, xf, false);
        assertEquals(1, first.pairs().size());
        assertEquals(1, Files.readAllLines(out.resolve(PairsStage.OUTPUT)).size());
        assertEquals(1, PipelineIo.readJson(out.resolve(PairsStage.STATS)).path("missing_modified_marker").asInt());
        long calls = gen.totalCalls();
        PairsStage.Result again = stage.runInto(out, xf, false);
        assertEquals(first.pairs(), again.pairs());
        assertEquals(first.stats(), again.stats());
        assertEquals(calls, gen.totalCalls(), "done: nothing is generated again");
        // Another generator is another input: refused without --force.
        assertThrows(RuntimeException.class, () -> new PairsStage(PairsSettings.defaults(), new ScriptedModel("other", 1.0), 1,
                ProgressFactory.NONE).runInto(out, xf, false));
    }
}
