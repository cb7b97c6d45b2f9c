package dev.selftaught.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportWriterTest {

    static Map<String, Double> cats(double chat, double hard, double safety, double reasoning) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("Chat", chat);
        m.put("Chat Hard", hard);
        m.put("Safety", safety);
        m.put("Reasoning", reasoning);
        return m;
    }

    static RunReport sample() {
        Map<String, Long> d1 = new LinkedHashMap<>();
        d1.put("no verdict", 120L);
        d1.put("wrong", 800L);
        d1.put("balancing", 64L);
        return new RunReport("Demo run", List.of(
                new RunReport.Row(0, "seed", 0.7605, cats(0.976, 0.589, 0.692, 0.785), null, Map.of()),
                new RunReport.Row(1, "iteration 1", 0.8120, cats(0.965, 0.702, 0.801, 0.780), 4012L, d1),
                new RunReport.Row(2, "iteration 2", 0.8535, cats(0.968, 0.790, 0.860, 0.796), 5230L, Map.of("no verdict", 80L, "wrong", 520L)),
                new RunReport.Row(3, "iteration 3", 0.8833, cats(0.966, 0.842, 0.915, 0.810), 6101L, Map.of("wrong", 301L))),
                List.of(new RunReport.Row(null, "GPT-4-0125", 0.843, cats(0.953, 0.743, 0.876, 0.869), null, Map.of())));
    }

    @Test
    void writesJsonMarkdownChartsAndOneSelfContainedPage(@TempDir Path dir) throws Exception {
        RunReport r = sample();
        ReportWriter.write(r, dir);

        JsonNode j = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertEquals(4, j.get("rounds").size());
        JsonNode r1 = j.get("rounds").get(1);
        assertEquals(1, r1.get("round").asInt());
        assertEquals(0.812, r1.get("overall").asDouble(), 1e-12);
        assertEquals(0.702, r1.at("/categories/Chat Hard").asDouble(), 1e-12);
        assertEquals(4012, r1.get("kept").asLong());
        assertEquals(800, r1.at("/dropped/wrong").asLong());
        assertTrue(j.get("rounds").get(0).get("kept").isNull());
        assertEquals("GPT-4-0125", j.at("/baselines/0/name").asText());
        assertEquals(r, RunReport.read(dir.resolve("report.json")));

        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("| Model | Pairs | Kept | Overall | Chat | Chat Hard | Safety | Reasoning |"), md);
        assertTrue(md.contains("| Seed (round 0) | – | – | 76.1 | 97.6 | 58.9 | 69.2 | 78.5 |"), md);
        assertTrue(md.contains("| Iteration 3 | – | 6101 | 88.3 | 96.6 | 84.2 | 91.5 | 81.0 |"), md);
        assertTrue(md.contains("| GPT-4-0125 (baseline) | – | – | 84.3 | 95.3 | 74.3 | 87.6 | 86.9 |"), md);
        assertTrue(md.contains("| Round | Pairs | Kept | Dropped: no verdict | Dropped: wrong | Dropped: balancing |"), md);
        assertTrue(md.contains("| Iteration 1 | – | 4012 | 120 | 800 | 64 |"), md);
        assertTrue(md.contains("| Iteration 3 | – | 6101 | 0 | 301 | 0 |"), md);

        for (String png : List.of("charts/accuracy.png", "charts/kept.png")) {
            BufferedImage img = ImageIO.read(dir.resolve(png).toFile());
            assertEquals(Charts.W, img.getWidth());
            assertEquals(Charts.H, img.getHeight());
            assertTrue(distinctColours(img) > 20, png + " has content");
        }
        // Every category line is drawn in its colour, and the baseline's dashed line too.
        BufferedImage acc = ImageIO.read(dir.resolve("charts/accuracy.png").toFile());
        for (int i = 0; i < 4; i++) assertTrue(countColour(acc, Charts.SERIES[i].getRGB()) > 200, "series " + i);
        assertTrue(countColour(acc, Charts.BASELINE[0].getRGB()) > 100, "baseline line");

        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("<td>Iteration 3</td><td class=\"n\">–</td><td class=\"n\">6101</td><td class=\"n\">88.3</td>"), html);
        Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        assertTrue(m.find());
        assertArrayEquals(Files.readAllBytes(dir.resolve("charts/accuracy.png")), Base64.getDecoder().decode(m.group(1)));
        assertTrue(m.find());
        assertArrayEquals(Files.readAllBytes(dir.resolve("charts/kept.png")), Base64.getDecoder().decode(m.group(1)));
        assertFalse(Pattern.compile("(src|href)=\"(?!data:)").matcher(html).find(), "no external resources");
    }

    @Test
    void partialCategoriesAndNoTrainingYet(@TempDir Path dir) throws Exception {
        Map<String, Double> c = new LinkedHashMap<>();
        c.put("Chat Hard", 0.61);
        RunReport r = new RunReport(null, List.of(new RunReport.Row(0, "seed", 0.61, c, null, Map.of())), List.of());
        ReportWriter.write(r, dir);
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("| Seed (round 0) | – | – | 61.0 | – | 61.0 | – | – |"), md);
        assertFalse(md.contains("Training data per round"));
        BufferedImage kept = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("charts/kept.png"))));
        assertEquals(Charts.W, kept.getWidth());
    }

    @Test
    void eachRoundSaysWhichMethodTrainedIt(@TempDir Path dir) throws Exception {
        RunReport r = new RunReport("Methods", List.of(
                new RunReport.Row(0, "seed", 0.70, cats(0.9, 0.5, 0.6, 0.8), null, Map.of()),
                new RunReport.Row(1, "iteration 1", 0.72, cats(0.9, 0.6, 0.6, 0.8), 40L, Map.of("wrong", 3L)).withMethod("sft"),
                new RunReport.Row(2, "iteration 2", 0.74, cats(0.9, 0.6, 0.7, 0.8), 42L, Map.of("wrong", 2L)).withMethod("sft+dpo")),
                List.of());
        ReportWriter.write(r, dir);
        JsonNode j = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertFalse(j.get("rounds").get(0).has("method"), "the seed was not trained here");
        assertEquals("sft", j.get("rounds").get(1).get("method").asText());
        assertEquals("sft+dpo", j.get("rounds").get(2).get("method").asText());
        assertEquals(r, RunReport.read(dir.resolve("report.json")), "read back with its methods");
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("| Round | Method | Pairs | Kept |"), md);
        assertTrue(md.contains("| Iteration 2 | sft+dpo | – | 42 |"), md);
        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("<th>Method</th>") && html.contains("<td>sft+dpo</td>"), html);
        // reports without methods (older runs, other tools) have no such column
        ReportWriter.write(sample(), dir.resolve("old"));
        assertFalse(Files.readString(dir.resolve("old").resolve("report.md")).contains("Method"));
    }

    @Test
    void ticksAreRound() {
        assertArrayEquals(new double[]{50, 60, 70, 80, 90, 100}, Charts.ticks(50, 100, 5));
        assertArrayEquals(new double[]{0, 1000, 2000, 3000, 4000, 5000, 6000, 7000}, Charts.ticks(0, 6833, 5));
        assertArrayEquals(new double[]{0, 20, 40, 60}, Charts.ticks(0, 55, 3));
    }

    static int distinctColours(BufferedImage img) {
        Set<Integer> s = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) for (int x = 0; x < img.getWidth(); x += 2) s.add(img.getRGB(x, y));
        return s.size();
    }

    private static int countColour(BufferedImage img, int rgb) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) if ((img.getRGB(x, y) & 0xFFFFFF) == (rgb & 0xFFFFFF)) n++;
        return n;
    }
}
