package dev.selftaught.eval;

import dev.selftaught.data.InputError;
import dev.selftaught.data.ChatMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JudgeTemplateTest {

    private final JudgePrompts prompts = JudgePrompts.pairV2();

    @Test
    void pairV2HasSystemRulesAndAnswerBlocks() {
        var item = PairwiseItem.single("1", "What is 2+2?", "4", "5", "s");
        List<ChatMessage> m = prompts.render(item, true);
        assertEquals(2, m.size());
        assertEquals("system", m.get(0).role());
        assertTrue(m.get(0).content().contains(
                "output your final verdict by strictly following this format: \"[[A]]\" if assistant A is better, "
                        + "\"[[B]]\" if assistant B is better."), m.get(0).content());
        assertEquals("user", m.get(1).role());
        assertEquals("[User Question]\nWhat is 2+2?\n\n[The Start of Assistant A's Answer]\n4\n"
                + "[The End of Assistant A's Answer]\n\n[The Start of Assistant B's Answer]\n5\n"
                + "[The End of Assistant B's Answer]\n", m.get(1).content());
        // The other order swaps the answers.
        String swapped = prompts.render(item, false).get(1).content();
        assertTrue(swapped.indexOf("5\n[The End of Assistant A") > 0, swapped);
    }

    @Test
    void distinctInputsGiveDistinctPrompts() {
        // The reference code once mutated a shared template so that every later prompt was the first one.
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            var item = PairwiseItem.single("id" + i, "question " + i, "good " + i, "bad " + i, "s");
            String p = prompts.render(item, i % 2 == 0).get(1).content();
            assertTrue(p.contains("question " + i) && p.contains("good " + i) && p.contains("bad " + i));
            assertTrue(seen.add(p), "prompt repeated at " + i);
        }
        // And the template itself is unchanged: the first item renders exactly as before.
        var first = PairwiseItem.single("id0", "question 0", "good 0", "bad 0", "s");
        assertEquals(prompts.render(first, true), JudgePrompts.pairV2().render(first, true));
    }

    @Test
    void substitutionIsSinglePass() {
        // A response containing slot text is shown literally, never substituted again.
        var item = PairwiseItem.single("x", "Print {input}", "I say {response_b}", "{input}", "s");
        String p = prompts.render(item, true).get(1).content();
        assertTrue(p.contains("[User Question]\nPrint {input}\n"), p);
        assertTrue(p.contains("\nI say {response_b}\n[The End of Assistant A's Answer]"), p);
        assertTrue(p.contains("Answer]\n{input}\n[The End of Assistant B's Answer]"), p);
    }

    @Test
    void twoTurnItemsUseTheMultiTurnPrompt() {
        var item = new PairwiseItem("t", List.of(ChatMessage.user("Name a prime."), ChatMessage.assistant("7"),
                ChatMessage.user("Another one?")), "11", "12", "s");
        assertEquals(2, item.turns());
        List<ChatMessage> m = prompts.render(item, false);
        String u = m.get(1).content();
        assertTrue(m.get(0).content().contains("last question"), m.get(0).content());
        assertTrue(u.contains("### User:\nName a prime.\n\n### Assistant A:\n7\n\n### User:\nAnother one?\n\n### Assistant A:\n12"), u);
        assertTrue(u.contains("### Assistant B:\n7\n\n### User:\nAnother one?\n\n### Assistant B:\n11"), u);
        assertTrue(u.indexOf("Assistant A's Conversation") < u.indexOf("Assistant B's Conversation"));
    }

    @Test
    void evalPlanIsOneUserMessageWithTheRubricSteps() {
        var m = JudgePrompts.evalPlan().render(PairwiseItem.single("1", "Q?", "yes", "no", "s"), true);
        assertEquals(1, m.size());
        String u = m.get(0).content();
        assertTrue(u.contains("rubric") && u.contains("\"[[A]]\" if assistant A is better"), u);
        assertTrue(u.indexOf("[User Question]\nQ?") > u.indexOf("Decide which answer"), u);
    }

    @Test
    void templateFileReplacesTheDefault(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("mine.txt");
        Files.writeString(f, "<<<system>>>\nBe strict.\n<<<user>>>\nQ: {input}\nA: {response_a}\nB: {response_b}\n");
        JudgePrompts p = JudgePrompts.named(f.toString());
        var m = p.render(PairwiseItem.single("1", "why?", "because", "no", "s"), false);
        assertEquals(List.of(ChatMessage.system("Be strict."), ChatMessage.user("Q: why?\nA: no\nB: because\n")), m);

        Path plain = dir.resolve("plain.txt");
        Files.writeString(plain, "{input} | {response_a} | {response_b}");
        JudgeTemplate t = JudgeTemplate.load(plain);
        assertNull(t.system());
        assertFalse(t.isMultiTurn());

        Path bad = dir.resolve("bad.txt");
        Files.writeString(bad, "Judge {input} please");
        InputError e = assertThrows(InputError.class, () -> JudgeTemplate.load(bad));
        assertTrue(e.getMessage().startsWith(bad.toString()) && e.getMessage().contains("{response_a}"), e.getMessage());
    }

    @Test
    void methodPromptFileWithGenerationSlotsRenders() throws Exception {
        // The method's own eval_plan.prompt uses {input}, {generation}, {generation2}: it works as a template file.
        Path f = Path.of(System.getProperty("shared.data"), "self_taught_evaluator_prompts",
                "projects_self_taught_evaluator_data_prompts_eval_plan.prompt");
        JudgeTemplate t = JudgeTemplate.load(f);
        var m = new JudgePrompts(t, JudgeTemplate.builtin("pair-v2-multi-turn"))
                .render(PairwiseItem.single("1", "QQQ", "RESPONSE-ONE", "RESPONSE-TWO", "s"), true);
        String u = m.getLast().content();
        assertTrue(u.contains("QQQ") && u.indexOf("RESPONSE-ONE") < u.indexOf("RESPONSE-TWO"), u);
        assertFalse(u.contains("{generation"), u);
        assertNotEquals(-1, u.indexOf("[[A]]"));
    }
}
