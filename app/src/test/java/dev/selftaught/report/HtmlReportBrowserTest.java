package dev.selftaught.report;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The HTML report opened in a real browser: headless Chromium (Debian's {@code chromium}) loads
 * the page a run writes, and the test checks the DOM it built (both tables, both charts as data:
 * URI images that decoded to their real size), the console (no messages: the page has no script,
 * nothing failed to load) and the screenshot (not blank; the chart lines' colours are on screen).
 * Skipped, saying so, when no Chromium binary is installed.
 */
class HtmlReportBrowserTest {
    @TempDir Path dir;

    static final String LONG_BASELINE = "Llama-3.1-405B-Instruct-Turbo as judge, pair-v2 prompt";

    /** The existing report test's run, plus a baseline whose long name must not be cut off in the legend. */
    static RunReport report() {
        RunReport r = ReportWriterTest.sample();
        List<RunReport.Row> baselines = new ArrayList<>(r.baselines());
        baselines.add(new RunReport.Row(null, LONG_BASELINE, 0.801, ReportWriterTest.cats(0.95, 0.65, 0.80, 0.80), null, Map.of()));
        return new RunReport(r.title(), r.rounds(), baselines);
    }

    static Path chromium() {
        String env = System.getenv("SELFTAUGHT_CHROMIUM");
        if (env != null && !env.isBlank() && Files.isExecutable(Path.of(env))) return Path.of(env);
        for (String dirName : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            for (String name : new String[] {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
                Path p = Path.of(dirName, name);
                if (Files.isExecutable(p)) return p;
            }
        }
        return null;
    }

    /** Runs headless Chromium with {@code extra} arguments on {@code url}; returns {stdout, stderr}. */
    private String[] browse(Path chrome, String url, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(chrome.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                "--user-data-dir=" + dir.resolve("profile"), "--virtual-time-budget=5000"));
        cmd.addAll(List.of(extra));
        cmd.add(url);
        Path out = dir.resolve("stdout.txt"), err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish in 180 s: " + cmd);
        }
        String stderr = Files.readString(err);
        assertEquals(0, p.exitValue(), stderr);
        return new String[] {Files.readString(out), stderr};
    }

    @Test
    void theReportRendersInHeadlessChromium() throws Exception {
        Path chrome = chromium();
        Assumptions.assumeTrue(chrome != null, "no chromium binary found (Debian: apt-get install -y chromium; or set SELFTAUGHT_CHROMIUM): "
                + "skipping the browser check of the HTML report");
        Path run = dir.resolve("run");
        ReportWriter.write(report(), run);
        Path html = run.resolve("report.html");

        // 1. The page as the browser built it, its console, and whether the images really decoded:
        // a copy of the page gets a probe that writes each image's natural size into the DOM once
        // everything has loaded (the report itself has no script and writes nothing to the console).
        String probe = "<script>window.addEventListener('load',function(){var s=[];for(var i of document.images)"
                + "s.push(i.complete+':'+i.naturalWidth+'x'+i.naturalHeight);document.body.setAttribute('data-images',s.join(' '));});</script>";
        Path probed = run.resolve("probe.html");
        Files.writeString(probed, Files.readString(html).replace("</body>", probe + "</body>"));
        String[] dom = browse(chrome, probed.toUri().toString(), "--dump-dom");
        assertFalse(dom[1].contains("CONSOLE"), "console messages: " + dom[1]);
        assertEquals(2, count(dom[0], "<table>"), "both tables");
        assertTrue(dom[0].contains("<td>Iteration 3</td><td class=\"n\">–</td><td class=\"n\">6101</td><td class=\"n\">88.3</td>"), dom[0]);
        Matcher img = Pattern.compile("<img alt=\"([^\"]+)\" src=\"data:image/png;base64,").matcher(dom[0]);
        List<String> alts = new ArrayList<>();
        while (img.find()) alts.add(img.group(1));
        assertEquals(List.of("Judge accuracy per round", "Training examples per round"), alts);
        String size = "true:" + Charts.W + "x" + Charts.H;
        assertTrue(dom[0].contains("data-images=\"" + size + " " + size + "\""), "both images decoded at full size: " + dom[0]);

        // 2. The report itself (no probe) in a screenshot that is not blank and shows the charts' colours.
        Path shot = dir.resolve("shot.png");
        String[] shown = browse(chrome, html.toUri().toString(), "--window-size=1100,2600", "--screenshot=" + shot);
        assertFalse(shown[1].contains("CONSOLE"), "console messages: " + shown[1]);
        BufferedImage s = ImageIO.read(shot.toFile());
        assertNotNull(s, "screenshot written");
        assertTrue(ReportWriterTest.distinctColours(s) > 50, "screenshot is not blank");
        for (Color c : new Color[] {Charts.SERIES[0], Charts.SERIES[1], Charts.SERIES[2], Charts.SERIES[3]}) {
            assertTrue(near(s, c) > 100, "chart colour " + Integer.toHexString(c.getRGB()) + " on screen");
        }
    }

    @Test
    void legendsWrapLongNamesInsteadOfCuttingThemOff() throws Exception {
        Path run = dir.resolve("run");
        ReportWriter.write(report(), run);
        for (String png : List.of("charts/accuracy.png", "charts/kept.png")) {
            BufferedImage img = ImageIO.read(run.resolve(png).toFile());
            // nothing is drawn within 4 pixels of the right edge: no label runs off the image
            int bg = img.getRGB(img.getWidth() - 1, 0);
            for (int x = img.getWidth() - 4; x < img.getWidth(); x++) {
                for (int y = 0; y < img.getHeight(); y++) assertEquals(bg, img.getRGB(x, y), png + " pixel " + x + "," + y);
            }
        }
        var g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        g.setFont(g.getFont().deriveFont(12f));
        var fm = g.getFontMetrics();
        String label = LONG_BASELINE + " (overall 80.1)";
        List<String> lines = Charts.wrap(fm, label, Charts.LEGEND_TEXT_WIDTH);
        assertTrue(lines.size() > 1, "the long name wraps: " + lines);
        assertEquals(label.replace(" ", ""), String.join("", lines).replace(" ", ""), "every character is kept");
        assertEquals("Llama-3.1-405B-", lines.getFirst().substring(0, Math.min(15, lines.getFirst().length())), "breaks after a hyphen: " + lines);
        for (String l : lines) assertTrue(fm.stringWidth(l) <= Charts.LEGEND_TEXT_WIDTH, l);
        assertEquals(List.of("Overall"), Charts.wrap(fm, "Overall", Charts.LEGEND_TEXT_WIDTH));
    }

    private static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) n++;
        return n;
    }

    /** Pixels within a small distance of {@code c} (the browser may resample the PNG slightly). */
    private static int near(BufferedImage img, Color c) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                int dr = ((p >> 16) & 255) - c.getRed(), dg = ((p >> 8) & 255) - c.getGreen(), db = (p & 255) - c.getBlue();
                if (dr * dr + dg * dg + db * db < 300) n++;
            }
        }
        return n;
    }
}
