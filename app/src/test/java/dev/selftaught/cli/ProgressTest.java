package dev.selftaught.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

class ProgressTest {

    @Test
    void logModePrintsWholeLinesWithCountsAndAFinalLine() throws Exception {
        var bytes = new ByteArrayOutputStream();
        var out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Progress p = new Progress("gen", 10, out, false, 30)) {
            p.skip(2);
            p.advance(3, 12_345);
            p.error(1);
            assertTrue(p.line().startsWith("gen 5/10  50.0% "), p.line());
            assertTrue(p.line().contains("tokens 12.3k errors 1"), p.line());
            assertTrue(p.line().contains("ETA "), p.line());
            Thread.sleep(200);
        }
        String s = bytes.toString(StandardCharsets.UTF_8);
        assertFalse(s.contains("\r"), "no carriage returns in a log");
        assertTrue(s.lines().count() >= 2, "periodic lines plus the final one: " + s);
        assertTrue(s.lines().allMatch(l -> l.startsWith("gen 5/10")), s);
    }

    @Test
    void terminalModeRedrawsInPlace() {
        var bytes = new ByteArrayOutputStream();
        var out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Progress p = new Progress("gen", 4, out, true, 10_000);
        p.advance(4, 0);
        p.close();
        String s = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("\rgen 4/4 100.0%"), s);
        assertTrue(s.endsWith("\n"));
        assertFalse(s.contains("ETA"), "no ETA once done");
    }

    @Test
    void durationsAndCountsAreShort() {
        assertEquals("59s", Progress.duration(59.2));
        assertEquals("2m05s", Progress.duration(125));
        assertEquals("1h01m", Progress.duration(3660));
        assertEquals("9999", Progress.count(9999));
        assertEquals("12.5M", Progress.count(12_500_000));
    }

    @Test
    void durationOption() {
        var c = new DurationConverter();
        assertEquals(Duration.ofMillis(500), c.convert("500ms"));
        assertEquals(Duration.ofSeconds(30), c.convert("30s"));
        assertEquals(Duration.ofMillis(1500), c.convert("1.5"));
        assertEquals(Duration.ofMinutes(10), c.convert("10m"));
        assertEquals(Duration.ofHours(1), c.convert("1h"));
        assertEquals(Duration.ofSeconds(45), c.convert("PT45S"));
        assertThrows(picocli.CommandLine.TypeConversionException.class, () -> c.convert("soon"));
        assertThrows(picocli.CommandLine.TypeConversionException.class, () -> c.convert("-3s"));
    }
}
