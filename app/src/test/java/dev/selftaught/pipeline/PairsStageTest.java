package dev.selftaught.pipeline;

import dev.selftaught.pipeline.Records.Instruction;
import dev.selftaught.pipeline.Records.Pair;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PairsStageTest {
    private static Instruction x(String id, String text) { return new Instruction(id, text, "test", null); }

    @Test
    void modifiedInstructionMethodDropsWithCountedReasons() {
        List<Instruction> xs = List.of(x("1", "Explain gravity"), x("2", "NOMARKER question"), x("3", "SAME question"),
                x("4", "EMPTY question"), x("5", "Explain tides"));
        ScriptedModel m = new ScriptedModel("gen", 1.0);
        PairsStage.Result r = new PairsStage(PairsSettings.defaults(), m, 2, ProgressFactory.NONE).run(xs);
        assertEquals(List.of("1", "5"), r.pairs().stream().map(Pair::id).toList());
        Pair p = r.pairs().getFirst();
        assertEquals("Explain gravity", p.instruction());
        assertEquals("Answer to: Explain gravity", p.chosen());
        assertEquals("Explain gravity (but in reverse)", p.modifiedInstruction());
        assertEquals("Answer to: Explain gravity (but in reverse)", p.rejected());
        assertEquals("modified_instruction", p.method());
        assertEquals(1, r.stats().get("missing_modified_marker"));
        assertEquals(1, r.stats().get("same_instruction"));
        assertEquals(1, r.stats().get("empty_rejected"));
        assertEquals(2, r.stats().get("kept"));
        assertEquals(10, m.totalCalls(), "one y_w call and one x'/y_l call per instruction");
    }

    @Test
    void parsesModifiedOutputAdversarially() {
        String ok = "[User Question Modified]\nNew q\n\n[The start of Assistant's answer to the modified instruction]\nYL\n"
                + "[The end of Assistant's answer to the modified instruction]";
        assertEquals(new PairsStage.Parsed("New q", "YL", null), PairsStage.parseModified(ok, "Old q"));
        assertEquals("missing_answer_marker", PairsStage.parseModified(ok.replace("[The end of", "[End of"), "Old q").dropReason());
        assertEquals("missing_answer_marker", PairsStage.parseModified("[User Question Modified]\nq\nanswer", "Old").dropReason());
        assertEquals("same_instruction", PairsStage.parseModified(ok.replace("New q", " old   q "), "old   q").dropReason());
        assertEquals("empty_modified_instruction", PairsStage.parseModified(ok.replace("New q", ""), "Old q").dropReason());
    }

    @Test
    void badResponseMethodIsTheAlternative() {
        var s = new PairsSettings(PairsSettings.BAD, null, 0.7, 0.9, 256, 1);
        PairsStage.Result r = new PairsStage(s, new ScriptedModel("gen", 1.0), 1, ProgressFactory.NONE).run(List.of(x("1", "Explain gravity")));
        Pair p = r.pairs().getFirst();
        assertNull(p.modifiedInstruction());
        assertEquals("A careless reply about Explain gravity", p.rejected());
        assertEquals("bad_response", p.method());
        assertEquals("same_as_chosen", PairsStage.parseBad("[The start of the worse answer]\nsame\n[The end of the worse answer]", "same").dropReason());
    }

    @Test
    void seededGenerationsAreDeterministicPerInstruction() {
        List<Instruction> xs = List.of(x("a", "Explain gravity"));
        var r1 = new PairsStage(PairsSettings.defaults(), new ScriptedModel("gen", 1.0), 1, ProgressFactory.NONE).run(xs);
        var r2 = new PairsStage(PairsSettings.defaults(), new ScriptedModel("gen", 1.0), 1, ProgressFactory.NONE).run(xs);
        assertEquals(r1, r2);
    }
}
