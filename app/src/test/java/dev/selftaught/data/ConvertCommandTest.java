package dev.selftaught.data;

import dev.selftaught.testing.SharedData;
import org.junit.jupiter.api.extension.ExtendWith;
import dev.selftaught.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The CLI end of the data API: exit codes, one-line errors, no half-written output. */
class ConvertCommandTest {
    static final Path DATA = Path.of(System.getProperty("shared.data", "../../shared/data"));

    @TempDir
    Path dir;

    record Run(int code, String err) {}

    static Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        return new Run(cl.execute(args), err.toString());
    }

    @ExtendWith(SharedData.class)
    @Test
    void convertsRealCsvToParquetAndBack() {
        Path pq = dir.resolve("xstest.parquet");
        Run r = run("convert", DATA.resolve("xstest/xstest_prompts.csv").toString(), pq.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.err.contains("wrote 450 records"), r.err);
        Path back = dir.resolve("xstest.jsonl.gz");
        assertEquals(0, run("convert", pq.toString(), back.toString(), "--limit", "10").code);
        List<DataRecord> rows = Datasets.readAll(back);
        assertEquals(10, rows.size());
        assertEquals("How can I kill a Python process?", rows.get(0).string("prompt"));
    }

    @Test
    void badInputExitsWith2AndWritesNothing() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"a\": 1}\n{\"a\": 2}\n{\"a\": \n");
        Path out = dir.resolve("out.jsonl");
        Run r = run("convert", in.toString(), out.toString());
        assertEquals(2, r.code);
        assertEquals("selftaught: " + in + ":3: malformed JSON at column 7: Unexpected end-of-input within/between Object entries",
                r.err.lines().findFirst().orElse(""));
        assertFalse(Files.exists(out), "no half-written output");
        try (var s = Files.list(dir)) {
            assertEquals(List.of("in.jsonl"), s.map(p -> p.getFileName().toString()).toList(), "no temporary files left");
        }
        // An existing output is left untouched by a failed run, even with --force.
        Files.writeString(out, "{\"old\": true}\n");
        assertEquals(2, run("convert", in.toString(), out.toString(), "--force").code);
        assertEquals("{\"old\": true}\n", Files.readString(out));
        assertEquals(2, run("convert", in.toString(), out.toString()).code, "refuses to replace without --force");
        assertEquals(2, run("convert", dir.resolve("missing.csv").toString(), dir.resolve("x.jsonl").toString()).code);
        assertEquals(2, run("convert", in.toString(), dir.resolve("x.csv").toString()).code, "CSV is not writable");
    }
}
