package dev.selftaught.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.selftaught.cli.Main;
import dev.selftaught.data.Datasets;
import dev.selftaught.data.InputError;
import dev.selftaught.data.RecordWriter;
import dev.selftaught.engine.chat.ChatTemplate;
import dev.selftaught.engine.chat.DefaultChatTemplate;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.load.ModelLoader;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.engine.train.SftPlan;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** TRL's dataset shapes from real JSONL, JSON and Parquet files, tokenized with the real stories260K tokenizer. */
class TrainRowsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ChatTemplate TEMPLATE = DefaultChatTemplate.INSTANCE;
    static Tokenizer tok;

    @TempDir Path dir;

    @BeforeAll
    static void load() {
        LoadedModel m = ModelLoader.load(EmbeddedTrainerTest.BASE);
        tok = m.tokenizer();
    }

    /** One row per SFT shape; rows 2 and 4 say the same thing in two shapes. */
    static final String[] SFT = {
            "{\"text\": \"Once upon a time there was a cat.\"}",
            "{\"messages\": [{\"role\": \"system\", \"content\": \"Be kind.\"}, {\"role\": \"user\", \"content\": \"Who is Lily?\"}, {\"role\": \"assistant\", \"content\": \"Lily is a fish.\"}]}",
            "{\"prompt\": \"Tom had a red kite.\", \"completion\": \" The sky was green.\", \"id\": 7}",
            "{\"prompt\": [{\"role\": \"system\", \"content\": \"Be kind.\"}, {\"role\": \"user\", \"content\": \"Who is Lily?\"}], \"completion\": [{\"role\": \"assistant\", \"content\": \"Lily is a fish.\"}]}",
    };

    private Path jsonl(String name, String... rows) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, String.join("\n", rows) + "\n");
        return f;
    }

    /** The same rows as a Parquet file written by the project's writer (DuckDB; nested lists of structs). */
    private Path parquet(String name, String... rows) throws Exception {
        Path f = dir.resolve(name);
        try (RecordWriter w = Datasets.writer(f)) {
            for (String r : rows) w.write(JSON.readTree(r));
            w.commit();
        }
        return f;
    }

    @Test
    void everySftShapeGivesTheExpectedTokens() throws Exception {
        List<SftPlan.Example> ex = TrainRows.read(jsonl("sft.jsonl", SFT), tok, TEMPLATE);
        assertEquals(4, ex.size());
        int bos = tok.bos(), eos = tok.eos();
        // text: BOS is the only context, every token of the text and EOS are targets
        assertArrayEquals(new int[] {bos}, ex.get(0).prompt());
        int[] text = tok.encode("Once upon a time there was a cat.", true);
        assertArrayEquals(append(Arrays.copyOfRange(text, 1, text.length), eos), ex.get(0).completion());
        // messages: the rendered prompt with generation header, then the last assistant turn
        String rendered = TEMPLATE.render(List.of(new ChatTemplate.Turn("system", "Be kind."), new ChatTemplate.Turn("user", "Who is Lily?")), true);
        assertTrue(rendered.endsWith("<|assistant|>\n"), rendered);
        assertArrayEquals(tok.encodeWithSpecials(rendered, true), ex.get(1).prompt());
        assertEquals(eos, ex.get(1).completion()[ex.get(1).completion().length - 1]);
        // prompt/completion strings: prompt as-is after BOS
        assertArrayEquals(tok.encode("Tom had a red kite.", true), ex.get(2).prompt());
        // conversational prompt/completion = the same conversation as messages
        assertArrayEquals(ex.get(1).prompt(), ex.get(3).prompt());
        assertArrayEquals(ex.get(1).completion(), ex.get(3).completion());
    }

    @Test
    void jsonArrayAndParquetGiveTheSameExamplesAsJsonl() throws Exception {
        List<SftPlan.Example> fromJsonl = TrainRows.read(jsonl("a.jsonl", SFT), tok, TEMPLATE);
        Path array = dir.resolve("a.json");
        Files.writeString(array, "[\n" + String.join(",\n", SFT) + "\n]\n");
        assertSame(fromJsonl, TrainRows.read(array, tok, TEMPLATE));
        // Parquet: one file per shape, as datasets publish them (a column's type is fixed per file).
        List<SftPlan.Example> fromParquet = new ArrayList<>();
        for (int i = 0; i < SFT.length; i++) {
            Path p = parquet("shape" + i + ".parquet", SFT[i]);
            assertEquals("PAR1", new String(Arrays.copyOf(Files.readAllBytes(p), 4)), "a real Parquet file");
            fromParquet.addAll(TrainRows.read(p, tok, TEMPLATE));
        }
        assertSame(fromJsonl, fromParquet);
    }

    @Test
    void preferenceRowsInAllThreeShapesAreValidated() throws Exception {
        String[] rows = {
                "{\"prompt\": \"The sky is\", \"chosen\": \" blue.\", \"rejected\": \" green.\"}",
                "{\"prompt\": [{\"role\": \"user\", \"content\": \"Sky?\"}], \"chosen\": [{\"role\": \"assistant\", \"content\": \"Blue.\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"Green.\"}]}",
                "{\"chosen\": [{\"role\": \"user\", \"content\": \"Sky?\"}, {\"role\": \"assistant\", \"content\": \"Blue.\"}], \"rejected\": [{\"role\": \"user\", \"content\": \"Sky?\"}, {\"role\": \"assistant\", \"content\": \"Green.\"}]}",
        };
        for (Path f : List.of(jsonl("p.jsonl", rows), parquet("p0.parquet", rows[0]))) {
            List<TrainRows.Preference> p = TrainRows.preferences(f);
            assertEquals("The sky is", p.get(0).promptText());
            assertEquals(" blue.", p.get(0).chosen());
            assertEquals(" green.", p.get(0).rejected());
            assertFalse(p.get(0).conversational());
            if (p.size() > 1) {
                for (int i = 1; i < 3; i++) {
                    assertEquals(List.of(new ChatTemplate.Turn("user", "Sky?")), p.get(i).promptTurns(), "row " + (i + 1));
                    assertEquals("Blue.", p.get(i).chosen());
                    assertEquals("Green.", p.get(i).rejected());
                }
            }
        }
        // SFT refuses them, saying why
        InputError e = assertThrows(InputError.class, () -> TrainRows.read(jsonl("p2.jsonl", rows), tok, TEMPLATE));
        assertTrue(e.getMessage().contains("p2.jsonl:1") && e.getMessage().contains("preference"), e.getMessage());

        String[][] bad = {
                {"{\"prompt\": \"x\", \"chosen\": \"a\"}", "field 'rejected': missing"},
                {"{\"prompt\": \"x\", \"chosen\": \"a\", \"rejected\": [{\"role\": \"assistant\", \"content\": \"b\"}]}", "field 'rejected': chosen and rejected must both be"},
                {"{\"chosen\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}], \"rejected\": [{\"role\": \"user\", \"content\": \"other\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}", "field 'rejected': without \"prompt\""},
                {"{\"prompt\": [{\"role\": \"user\", \"content\": \"q\"}], \"chosen\": [{\"role\": \"user\", \"content\": \"a\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"b\"}]}", "field 'chosen[0].role': expected assistant"},
                {"{\"prompt\": \"x\", \"chosen\": \"\", \"rejected\": \"b\"}", "field 'chosen': empty"},
        };
        for (String[] b : bad) {
            Path f = jsonl("bad.jsonl", "{\"prompt\": \"ok\", \"chosen\": \"a\", \"rejected\": \"b\"}", b[0]);
            InputError x = assertThrows(InputError.class, () -> TrainRows.preferences(f), b[0]);
            assertTrue(x.getMessage().contains("bad.jsonl:2: " + b[1]), x.getMessage());
        }
    }

    @Test
    void badRowsNameFileRowAndField() throws Exception {
        String[][] bad = {
                {"{\"text\": 5}", "field 'text'"},
                {"{\"text\": \"\"}", "field 'text': the target text is empty"},
                {"{\"prompt\": \"x\"}", "field 'completion': missing"},
                {"{\"prompt\": [{\"role\": \"user\", \"content\": \"q\"}], \"completion\": \"a\"}", "field 'completion': prompt and completion must both be"},
                {"{\"prompt\": [{\"role\": \"user\", \"content\": \"q\"}], \"completion\": [{\"role\": \"assistant\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}", "field 'completion': expected exactly one assistant message"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}]}", "field 'messages[0].role': the last turn must be the assistant's"},
                {"{\"messages\": [{\"role\": \"robot\", \"content\": \"q\"}]}", "field 'messages[0].role'"},
                {"{\"text\": \"a\", \"messages\": [{\"role\": \"assistant\", \"content\": \"q\"}]}", "use one TRL shape per row"},
                {"{\"input\": \"a\", \"output\": \"b\"}", "expected one of the TRL shapes"},
        };
        for (String[] b : bad) {
            Path f = jsonl("rows.jsonl", SFT[0], b[0]);
            InputError e = assertThrows(InputError.class, () -> TrainRows.read(f, tok, TEMPLATE), b[0]);
            assertTrue(e.getMessage().startsWith(f + ":2: ") && e.getMessage().contains(b[1]), e.getMessage());
        }
        // Parquet rows are numbered too
        Path p = parquet("bad.parquet", "{\"prompt\": \"x\", \"completion\": \"y\"}", "{\"prompt\": \"x\", \"completion\": \"\"}");
        InputError e = assertThrows(InputError.class, () -> TrainRows.read(p, tok, TEMPLATE));
        assertTrue(e.getMessage().contains("bad.parquet:2: field 'completion'"), e.getMessage());
    }

    @Test
    void cliTrainsFromParquetAndRejectsABadParquetRowWithExit2() throws Exception {
        Path data = parquet("train.parquet", SFT[2], "{\"prompt\": \"The dog ran home.\", \"completion\": \" Mom gave him a hat.\"}");
        Path out = dir.resolve("out");
        var cl = Main.commandLine();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(0, cl.execute("train", "--base", EmbeddedTrainerTest.BASE.toString(), "--data", data.toString(), "--out", out.toString(),
                "--epochs", "1", "--threads", "1"), err.toString());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));

        Path bad = parquet("bad.parquet", SFT[2], "{\"prompt\": \"x\", \"completion\": \"\"}");
        cl = Main.commandLine();
        err.reset();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(2, cl.execute("train", "--base", EmbeddedTrainerTest.BASE.toString(), "--data", bad.toString(), "--out", dir.resolve("bad").toString()));
        assertTrue(err.toString().contains("bad.parquet:2: field 'completion'"), err.toString());
        assertFalse(Files.exists(dir.resolve("bad/model.safetensors")));
    }

    private static void assertSame(List<SftPlan.Example> a, List<SftPlan.Example> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).prompt(), b.get(i).prompt(), "row " + (i + 1) + " prompt");
            assertArrayEquals(a.get(i).completion(), b.get(i).completion(), "row " + (i + 1) + " completion");
        }
    }

    private static int[] append(int[] a, int x) {
        int[] r = Arrays.copyOf(a, a.length + 1);
        r[a.length] = x;
        return r;
    }
}
