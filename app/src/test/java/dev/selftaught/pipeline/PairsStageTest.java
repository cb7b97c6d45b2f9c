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

    /**
     * The scripted model's answers to generation prompts do not depend on the seed, so equal
     * outputs alone would prove nothing: this checks the seeds the stage sends instead.
     */
    @Test
    void seededGenerationsAreDeterministicPerInstruction() {
        List<Instruction> xs = List.of(x("a", "Explain gravity"));
        SeedLog log1 = new SeedLog(), log2 = new SeedLog(), other = new SeedLog(), withB = new SeedLog();
        var r1 = new PairsStage(PairsSettings.defaults(), log1, 1, ProgressFactory.NONE).run(xs);
        var r2 = new PairsStage(PairsSettings.defaults(), log2, 1, ProgressFactory.NONE).run(xs);
        assertEquals(r1, r2);
        assertEquals(2, log1.seeds.size(), "one y_w call and one x'/y_l call: " + log1.seeds);
        assertFalse(log1.seeds.containsValue(SeedLog.UNSEEDED), "every generation is seeded: " + log1.seeds);
        assertEquals(0, log1.repeated.get(), "no prompt is sent twice");
        assertEquals(2, new java.util.HashSet<>(log1.seeds.values()).size(), "the two calls get different seeds: " + log1.seeds);
        assertEquals(log1.seeds, log2.seeds, "the same settings send the same seeds");

        PairsSettings d = PairsSettings.defaults();
        var reseeded = new PairsSettings(d.method(), d.prompt(), d.temperature(), d.topP(), d.maxTokens(), d.seed() + 1);
        new PairsStage(reseeded, other, 1, ProgressFactory.NONE).run(xs);
        assertEquals(log1.seeds.keySet(), other.seeds.keySet());
        for (String prompt : log1.seeds.keySet()) {
            assertNotEquals(log1.seeds.get(prompt), other.seeds.get(prompt), "another --seed changes the seed of " + prompt);
        }

        // Per instruction: another instruction in the batch does not change this one's seeds.
        new PairsStage(PairsSettings.defaults(), withB, 1, ProgressFactory.NONE).run(List.of(x("b", "Explain tides"), xs.getFirst()));
        for (String prompt : log1.seeds.keySet()) assertEquals(log1.seeds.get(prompt), withB.seeds.get(prompt), prompt);
    }

    /** The scripted model, recording the sample seed of every prompt it is sent. */
    private static final class SeedLog implements dev.selftaught.llm.LanguageModel {
        final ScriptedModel inner = new ScriptedModel("gen", 1.0);
        static final long UNSEEDED = Long.MIN_VALUE;
        final java.util.Map<String, Long> seeds = new java.util.concurrent.ConcurrentHashMap<>();
        /** Counted, not asserted here: this runs on the model's worker threads, where a failed assert would be lost. */
        final java.util.concurrent.atomic.AtomicInteger repeated = new java.util.concurrent.atomic.AtomicInteger();

        @Override public String identity() { return inner.identity(); }

        @Override
        public dev.selftaught.llm.ModelResponse complete(dev.selftaught.llm.ModelRequest r) {
            Long seed = r.params().sampleSeed(0);
            if (seeds.put(r.messages().getLast().content(), seed == null ? UNSEEDED : seed) != null) repeated.incrementAndGet();
            return inner.complete(r);
        }
    }
}
