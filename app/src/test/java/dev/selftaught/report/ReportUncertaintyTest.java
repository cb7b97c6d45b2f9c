package dev.selftaught.report;

import dev.selftaught.eval.Bootstrap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Intervals, paired differences, pairs/kept and the selected checkpoint in every form of the report. */
class ReportUncertaintyTest {

    static Map<String, Bootstrap.Interval> ci(double lo, double hi) {
        Map<String, Bootstrap.Interval> m = new LinkedHashMap<>();
        m.put("Overall", new Bootstrap.Interval(lo, hi));
        m.put("Chat", new Bootstrap.Interval(lo - 0.05, hi + 0.05));
        return m;
    }

    static RunReport report() {
        Map<String, Double> c0 = Map.of("Chat", 0.60), c1 = Map.of("Chat", 0.70);
        RunReport.Row seed = new RunReport.Row(0, "seed", 0.60, c0, null, Map.of(), null, ci(0.55, 0.65), Map.of(), Map.of(), null, null);
        Map<String, RunReport.Delta> d = new LinkedHashMap<>();
        d.put("Overall", new RunReport.Delta(0.10, new Bootstrap.Interval(0.04, 0.16)));
        d.put("Chat", new RunReport.Delta(0.10, new Bootstrap.Interval(-0.02, 0.22)));
        RunReport.Row r1 = new RunReport.Row(1, "iteration 1", 0.70, c1, 321L, Map.of("no_correct", 40L), 400L, ci(0.65, 0.75), d,
                Map.of(), "checkpoint-12", 0.725);
        RunReport.Row abl = new RunReport.Row(null, "direct bad response (ablation)", 0.66, c1, 300L, Map.of(), 380L, ci(0.61, 0.71),
                Map.of("Overall", new RunReport.Delta(0.06, new Bootstrap.Interval(0.01, 0.11))), Map.of(), "final", 0.70);
        return new RunReport("With intervals", List.of(seed, r1), List.of(abl));
    }

    @Test
    void markdownHtmlAndJsonCarryIntervalsDifferencesPairsKeptAndTheCheckpoint(@TempDir Path dir) throws Exception {
        RunReport r = report();
        ReportWriter.write(r, dir);
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("| Seed (round 0) | – | – | 60.0 [55.0, 65.0] | 60.0 [50.0, 70.0] |"), md);
        assertTrue(md.contains("| Iteration 1 | 400 | 321 | 70.0 [65.0, 75.0] | 70.0 [60.0, 80.0] |"), md);
        assertTrue(md.contains("| direct bad response (ablation) (baseline) | 380 | 300 | 66.0 [61.0, 71.0] |"), md);
        assertTrue(md.contains("Difference from the seed"), md);
        assertTrue(md.contains("| Iteration 1 | 400 | 321 | +10.0 [+4.0, +16.0] | +10.0 [-2.0, +22.0] | – |"), md);
        assertTrue(md.contains("| direct bad response (ablation) (baseline) | 380 | 300 | +6.0 [+1.0, +11.0] |"), md);
        assertTrue(md.contains("| Iteration 1 | 400 | 321 | 40 | checkpoint-12 | 72.5 |"), md);
        assertTrue(md.contains("2000 resamples") && md.contains("inside the noise"), md);

        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("<td class=\"n\">70.0 <span class=\"ci\">[65.0, 75.0]</span></td>"), html);
        assertTrue(html.contains("+10.0 <span class=\"ci\">[+4.0, +16.0]</span>"), html);
        assertTrue(html.contains("<td>checkpoint-12</td><td class=\"n\">72.5</td>"), html);
        assertTrue(html.contains("<td class=\"n\">400</td><td class=\"n\">321</td>"), html);

        assertEquals(r, RunReport.read(dir.resolve("report.json")));
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertTrue(json.get("ci_method").asText().contains("bootstrap"));
        assertEquals("checkpoint-12", json.at("/rounds/1/checkpoint").asText());
        assertEquals(0.04, json.at("/rounds/1/vs_seed/Overall/ci/0").asDouble(), 1e-12);
        assertEquals(0.65, json.at("/rounds/1/ci/Overall/0").asDouble(), 1e-12);
    }

    @Test
    void accuracyChartDrawsAnErrorBarForEveryIntervalAndABandForBaselines(@TempDir Path dir) throws Exception {
        RunReport r = report();
        List<Charts.ErrorBar> bars = Charts.errorBars(r);
        // Overall and Chat at rounds 0 and 1.
        assertEquals(4, bars.size(), bars.toString());
        Charts.ErrorBar overall1 = bars.stream().filter(b -> b.series().equals("Overall") && b.x() == 1).findFirst().orElseThrow();
        assertEquals(65.0, overall1.lo(), 1e-9);
        assertEquals(75.0, overall1.hi(), 1e-9);
        assertTrue(bars.stream().anyMatch(b -> b.series().equals("Chat") && Math.abs(b.x() - 1) > 0.01), "series offset");

        ReportWriter.write(r, dir);
        BufferedImage img = ImageIO.read(dir.resolve("charts/accuracy.png").toFile());
        Charts.Plot p = Charts.accuracyPlot(r);
        int x = (int) Math.round(p.px(1)), top = (int) Math.round(p.py(75)), mid = (int) Math.round(p.py(72.5));
        // The cap of the overall bar (black, 10 px wide) and the bar between cap and marker.
        int dark = 0;
        for (int dx = -4; dx <= 4; dx++) if (luminance(img.getRGB(x + dx, top)) < 90) dark++;
        assertTrue(dark >= 7, "cap at y=" + top + ": " + dark + " dark pixels");
        // The 1.6 px bar (anti-aliased) darkens the two pixel columns it straddles.
        int barDark = 0;
        for (int dx = -1; dx <= 1; dx++) barDark += 255 - luminance(img.getRGB(x + dx, mid));
        assertTrue(barDark > 255, "bar at y=" + mid + ": darkness " + barDark);
        // The baseline's interval band: tinted pixels at the left of the plot between 61 and 71.
        int band = img.getRGB((int) p.px(p.x0()) + 3, (int) Math.round(p.py(63)));
        assertTrue((band & 0xFFFFFF) != 0xFFFFFF, "band tint");
        assertEquals(0xFFFFFF, img.getRGB((int) p.px(p.x0()) + 3, (int) Math.round(p.py(p.y1() - 0.5))) & 0xFFFFFF, "no band above it");

        // Without intervals there is nothing to draw.
        RunReport plain = new RunReport("plain", List.of(new RunReport.Row(0, "seed", 0.6, Map.of(), null, Map.of())), List.of());
        assertTrue(Charts.errorBars(plain).isEmpty());
    }

    @Test
    void replicatesShowMeanAndSdThenEachReplicatesTables(@TempDir Path dir) throws Exception {
        List<RunReport> reps = new ArrayList<>(List.of(report(), report()));
        RunReport.Row mean = new RunReport.Row(1, "iteration 1", 0.70, Map.of("Chat", 0.70), 321L, Map.of(), 400L, Map.of(),
                Map.of("Overall", new RunReport.Delta(0.1, new Bootstrap.Interval(0.03, 0.17))), Map.of("Overall", 0.014, "Chat", 0.02), null, null);
        RunReport r = new RunReport("Replicated", List.of(mean), List.of(), reps);
        ReportWriter.write(r, dir);
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("mean ± sd over 2 replicates"), md);
        assertTrue(md.contains("| Iteration 1 | 400 | 321 | 70.0 ± 1.4 | 70.0 ± 2.0 |"), md);
        assertTrue(md.contains("two-level bootstrap"), md);
        assertTrue(md.contains("## Replicate 1: With intervals") && md.contains("## Replicate 2: With intervals"), md);
        assertTrue(md.contains("### Difference from the seed"), md);
        assertEquals(r, RunReport.read(dir.resolve("report.json")));
        List<Charts.ErrorBar> bars = Charts.errorBars(r);
        assertEquals(68.6, bars.getFirst().lo(), 1e-9);
        assertFalse(Files.readString(dir.resolve("report.html")).contains("<h2>Replicate 3"));
    }

    private static int luminance(int rgb) {
        return (((rgb >> 16) & 255) * 299 + ((rgb >> 8) & 255) * 587 + (rgb & 255) * 114) / 1000;
    }
}
