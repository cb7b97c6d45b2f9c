package dev.selftaught.pipeline;

import dev.selftaught.testing.SharedData;
import org.junit.jupiter.api.extension.ExtendWith;
import dev.selftaught.data.InputError;
import dev.selftaught.pipeline.Records.Instruction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SelectStageTest {
    @TempDir Path dir;

    private Path pool(String... lines) throws Exception {
        Path p = dir.resolve("pool.jsonl");
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    private static SelectSettings settings(Path pool, int maxChars, int maxCount, long seed) {
        return new SelectSettings(pool.toString(), null, "first", 1, maxChars, "loose", false, null, null, null, maxCount, seed);
    }

    @Test
    void countsEveryDropReasonAndNormalises() throws Exception {
        Path p = pool(
                "{\"instruction\": \"  What is 2+2?  \"}",                       // kept (trimmed)
                "{\"prompt\": \"what   is 2+2?\"}",                              // loose duplicate
                "{\"instruction\": \"   \"}",                                    // empty
                "{\"other\": 1}",                                                // no instruction
                "{\"instruction\": \"" + "x".repeat(50) + "\"}",                 // too long (max 40)
                "{\"messages\": [{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"Cafe\\u0301 menu?\"},"
                        + "{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"second\"}]}",
                "{\"conversation\": [{\"role\":\"user\",\"content\":\"Line one   \\r\\n\\r\\n\\r\\n\\r\\nline two\"}], \"conversation_hash\": \"h1\"}");
        SelectStage.Result r = new SelectStage(settings(p, 40, 0, 1), null, null, 1, ProgressFactory.NONE).run();
        Map<String, Long> s = r.stats();
        assertEquals(7, s.get("read"));
        assertEquals(1, s.get("duplicate"));
        assertEquals(1, s.get("empty"));
        assertEquals(1, s.get("no_instruction"));
        assertEquals(1, s.get("too_long"));
        assertEquals(3, s.get("kept"));
        List<String> texts = r.instructions().stream().map(Instruction::instruction).toList();
        assertEquals(List.of("What is 2+2?", "Caf\u00e9 menu?", "Line one\n\nline two"), texts, "NFC, trimmed, first user turn");
        assertEquals("pool.jsonl#h1", r.instructions().get(2).source());
        assertEquals("pool.jsonl:6", r.instructions().get(1).source());
        assertTrue(r.instructions().get(0).id().startsWith("x-"));
    }

    @Test
    void lastTurnWhenConfigured() throws Exception {
        Path p = pool("{\"conversation\": [{\"role\":\"user\",\"content\":\"first\"},{\"role\":\"assistant\",\"content\":\"a\"},"
                + "{\"role\":\"user\",\"content\":\"last\"}]}");
        var s = new SelectSettings(p.toString(), null, "last", 1, 100, "exact", false, null, null, null, 0, 1);
        assertEquals("last", new SelectStage(s, null, null, 1, ProgressFactory.NONE).run().instructions().getFirst().instruction());
    }

    @Test
    void seededSampleIsDeterministicAndCounted() throws Exception {
        String[] lines = new String[50];
        for (int i = 0; i < 50; i++) lines[i] = "{\"instruction\": \"question number " + i + "\"}";
        Path p = pool(lines);
        var a = new SelectStage(settings(p, 1000, 10, 7), null, null, 1, ProgressFactory.NONE).run();
        var b = new SelectStage(settings(p, 1000, 10, 7), null, null, 1, ProgressFactory.NONE).run();
        var c = new SelectStage(settings(p, 1000, 10, 8), null, null, 1, ProgressFactory.NONE).run();
        assertEquals(a.instructions(), b.instructions());
        assertNotEquals(a.instructions(), c.instructions());
        assertEquals(10, a.instructions().size());
        assertEquals(40, a.stats().get("sampled_out"));
    }

    @Test
    void categorisesWithModelAndKeepsConfiguredCategories() throws Exception {
        Path p = pool("{\"instruction\": \"Solve 3x = 9\"}", "{\"instruction\": \"Write a poem\"}",
                "{\"instruction\": \"What is 10 / 4?\"}");
        var s = new SelectSettings(p.toString(), null, "first", 1, 1000, "loose", true, List.of("reasoning", "other"),
                List.of("reasoning"), null, 0, 1);
        ScriptedModel m = new ScriptedModel("cat", 1.0);
        var r = new SelectStage(s, m, null, 2, ProgressFactory.NONE).run();
        assertEquals(List.of("Solve 3x = 9", "What is 10 / 4?"), r.instructions().stream().map(Instruction::instruction).toList());
        assertEquals("reasoning", r.instructions().getFirst().category());
        assertEquals(1, r.stats().get("category_not_kept"));
        assertEquals(3, m.totalCalls());
    }

    @Test
    void parsesCategoryReplies() {
        List<String> cats = List.of("reasoning", "creative writing", "other");
        assertEquals("reasoning", SelectStage.parseCategory("Category: Reasoning", cats));
        assertEquals("creative writing", SelectStage.parseCategory("Thinking...\nCategory: **creative writing**", cats));
        assertEquals("other", SelectStage.parseCategory("other", cats));
        assertNull(SelectStage.parseCategory("Category: cooking", cats));
    }

    @Test
    void badLineIsAnInputErrorNamingFileAndLine() throws Exception {
        Path p = pool("{\"instruction\": \"ok\"}", "{not json");
        InputError e = assertThrows(InputError.class, () -> new SelectStage(settings(p, 100, 0, 1), null, null, 1, ProgressFactory.NONE).run());
        assertTrue(e.getMessage().contains("pool.jsonl:2"), e.getMessage());
    }

    @Test
    void doneMarkerSkipsAndChangedInputsNeedForce() throws Exception {
        Path p = pool("{\"instruction\": \"a question\"}");
        Path out = dir.resolve("run/select");
        new SelectStage(settings(p, 100, 0, 1), null, null, 1, ProgressFactory.NONE).runInto(out, null, false);
        long before = Files.getLastModifiedTime(out.resolve("instructions.jsonl")).toMillis();
        Thread.sleep(20);
        new SelectStage(settings(p, 100, 0, 1), null, null, 1, ProgressFactory.NONE).runInto(out, null, false);
        assertEquals(before, Files.getLastModifiedTime(out.resolve("instructions.jsonl")).toMillis(), "no-op rerun");
        var e = assertThrows(InputError.class,
                () -> new SelectStage(settings(p, 50, 0, 1), null, null, 1, ProgressFactory.NONE).runInto(out, null, false));
        assertTrue(e.getMessage().contains("settings") && e.getMessage().contains("--force"), e.getMessage());
        new SelectStage(settings(p, 50, 0, 1), null, null, 1, ProgressFactory.NONE).runInto(out, null, true);
    }

    @Test
    void readsJsonArrayFiles() throws Exception {
        Path p = dir.resolve("pool.json");
        Files.writeString(p, "[{\"prompt\": \"one\"}, {\"prompt\": \"two\"}]");
        assertEquals(2, new SelectStage(settings(p, 100, 0, 1), null, null, 1, ProgressFactory.NONE).run().instructions().size());
    }

    @Test
    void readsParquetPoolsWithWildChatConversations() throws Exception {
        Path p = dir.resolve("pool.parquet");
        try (var w = dev.selftaught.data.Datasets.writer(p)) {
            w.writeValue(Map.of("conversation_hash", "h1", "conversation", List.of(
                    Map.of("role", "user", "content", "First question?"), Map.of("role", "assistant", "content", "A."),
                    Map.of("role", "user", "content", "Follow-up?"))));
            w.writeValue(Map.of("conversation_hash", "h2", "conversation", List.of(Map.of("role", "user", "content", "  "))));
            w.commit();
        }
        var r = new SelectStage(settings(p, 100, 0, 1), null, null, 1, ProgressFactory.NONE).run();
        assertEquals(List.of("First question?"), r.instructions().stream().map(Instruction::instruction).toList());
        assertEquals("pool.parquet#h1", r.instructions().getFirst().source());
        assertEquals(1, r.stats().get("empty"));
    }

    @ExtendWith(SharedData.class)
    @Test
    void readsTheRealArenaHardPool() {
        Path p = Path.of(System.getProperty("shared.data"), "arena_hard", "data_arena-hard-v0.1_question.jsonl");
        var r = new SelectStage(settings(p, 4000, 100, 3), null, null, 1, ProgressFactory.NONE).run();
        assertEquals(500, r.stats().get("read"));
        assertEquals(100, r.instructions().size());
        assertEquals(r.stats().get("read"), r.stats().entrySet().stream()
                .filter(e -> !e.getKey().equals("read")).mapToLong(Map.Entry::getValue).sum(), "every row accounted for");
    }
}
