package dev.selftaught.report;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * PNG charts drawn with Java2D (headless): accuracy per category per round with error bars, and
 * training examples kept per round. Each chart has a title, labelled axes with ticks, grid lines and a legend.
 */
public final class Charts {

    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    static final int W = 960, H = 560;
    static final int LEFT = 80, RIGHT = 250, TOP = 60, BOTTOM = 70;
    static final Color[] SERIES = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
            new Color(0x9467bd), new Color(0x8c564b)};
    static final Color[] BASELINE = {new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf), new Color(0xe377c2)};

    /**
     * One error bar of the accuracy chart, in data units: x in rounds (with the series' small
     * horizontal offset), value and bar ends in percent. The bar is the row's 95% interval, or
     * mean ± sd for rows that summarize replicates.
     */
    record ErrorBar(String series, double x, double value, double lo, double hi) {}

    /** The accuracy chart's series: Overall, then each category present. */
    static List<String> accuracySeries(RunReport r) {
        List<RunReport.Row> rounds = r.rounds().stream().filter(x -> x.round() != null).toList();
        List<String> names = new ArrayList<>();
        names.add(RunReport.OVERALL);
        for (String c : MarkdownReport.CATEGORIES) if (points(rounds, c, 0).length > 0) names.add(c);
        return names;
    }

    /** Horizontal offset of series i (Overall in the middle), so bars at the same round do not overlap. */
    static double offset(int i) {
        return i == 0 ? 0 : ((i + 1) / 2) * 0.05 * (i % 2 == 1 ? -1 : 1);
    }

    /** Every error bar the accuracy chart draws (the chart's data model, also for tests). */
    static List<ErrorBar> errorBars(RunReport r) {
        List<RunReport.Row> rounds = r.rounds().stream().filter(x -> x.round() != null).toList();
        List<String> names = accuracySeries(r);
        List<ErrorBar> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            for (double[] p : points(rounds, names.get(i), offset(i))) {
                if (!Double.isNaN(p[2])) out.add(new ErrorBar(names.get(i), p[0], p[1], p[2], p[3]));
            }
        }
        return out;
    }

    /** The accuracy chart's data-to-pixel mapping. */
    static Plot accuracyPlot(RunReport r) {
        List<RunReport.Row> rounds = r.rounds().stream().filter(x -> x.round() != null).toList();
        double lo = 100, hi = 0;
        for (String name : accuracySeries(r)) {
            for (double[] p : points(rounds, name, 0)) {
                lo = Math.min(lo, Double.isNaN(p[2]) ? p[1] : p[2]);
                hi = Math.max(hi, Double.isNaN(p[3]) ? p[1] : p[3]);
            }
        }
        for (RunReport.Row b : r.baselines()) {
            if (b.overall() == null) continue;
            double[] e = ends(b, RunReport.OVERALL);
            lo = Math.min(lo, Double.isNaN(e[0]) ? 100 * b.overall() : e[0]);
            hi = Math.max(hi, Double.isNaN(e[1]) ? 100 * b.overall() : e[1]);
        }
        if (lo > hi) { lo = 0; hi = 100; }
        double yMin = Math.max(0, Math.floor((lo - 3) / 10) * 10), yMax = Math.min(100, Math.ceil((hi + 3) / 10) * 10);
        if (yMax - yMin < 10) yMax = Math.min(100, yMin + 10);
        int xMin = rounds.stream().mapToInt(RunReport.Row::round).min().orElse(0);
        int xMax = Math.max(xMin + 1, rounds.stream().mapToInt(RunReport.Row::round).max().orElse(1));
        return new Plot(xMin - 0.3, xMax + 0.3, yMin, yMax);
    }

    /**
     * Accuracy (%) per category and overall, one line per series with error bars (95% interval,
     * or ± sd over replicates), rounds on the x axis; baselines' overall as dashed lines with their
     * interval as a shaded band.
     */
    public static byte[] accuracyChart(RunReport r) {
        List<RunReport.Row> rounds = r.rounds().stream().filter(x -> x.round() != null).toList();
        List<String> names = accuracySeries(r);
        List<double[][]> series = new ArrayList<>(); // points {round, value%, lo%, hi%}
        for (int i = 0; i < names.size(); i++) series.add(points(rounds, names.get(i), offset(i)));
        Plot plot = accuracyPlot(r);
        int xMin = (int) Math.round(plot.x0 + 0.3), xMax = (int) Math.round(plot.x1 - 0.3);

        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = setup(img);
        title(g, "Judge accuracy per round (RewardBench-style)");
        grid(g, plot, ticks(plot.y0, plot.y1, 5), v -> String.format(Locale.ROOT, "%.0f", v));
        for (int x = xMin; x <= xMax; x++) xTick(g, plot, x, x == 0 ? "0 (seed)" : String.valueOf(x));
        axes(g, plot, "Round", "Accuracy (%)");

        List<String> legend = new ArrayList<>(names);
        List<Color> colors = new ArrayList<>();
        List<Boolean> dashed = new ArrayList<>();
        int bi = 0;
        List<Object[]> baselineLines = new ArrayList<>();
        for (RunReport.Row b : r.baselines()) {
            if (b.overall() == null) continue;
            Color c = BASELINE[bi++ % BASELINE.length];
            double[] e = ends(b, RunReport.OVERALL);
            if (!Double.isNaN(e[0])) { // the interval as a light band under everything else
                g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 40));
                double top = plot.py(e[1]), bottom = plot.py(e[0]);
                g.fill(new java.awt.geom.Rectangle2D.Double(plot.px(plot.x0), top, plot.px(plot.x1) - plot.px(plot.x0), bottom - top));
            }
            baselineLines.add(new Object[]{b, c});
        }
        for (int i = 0; i < series.size(); i++) {
            Color c = i == 0 ? Color.BLACK : SERIES[(i - 1) % SERIES.length];
            colors.add(c);
            dashed.add(false);
            errorBars(g, plot, series.get(i), c);
            line(g, plot, series.get(i), c, i == 0 ? 3.2f : 2f);
        }
        for (Object[] bl : baselineLines) {
            RunReport.Row b = (RunReport.Row) bl[0];
            Color c = (Color) bl[1];
            double y = plot.py(100 * b.overall());
            g.setColor(c);
            g.setStroke(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{8f, 6f}, 0f));
            g.draw(new Line2D.Double(plot.px(plot.x0), y, plot.px(plot.x1), y));
            legend.add(b.name() + String.format(Locale.ROOT, " (overall %.1f)", 100 * b.overall()));
            colors.add(c);
            dashed.add(true);
        }
        legend(g, legend, colors, dashed);
        boolean anyBars = series.stream().anyMatch(sr -> java.util.Arrays.stream(sr).anyMatch(p -> !Double.isNaN(p[2])));
        if (anyBars) {
            g.setColor(Color.DARK_GRAY);
            g.setFont(g.getFont().deriveFont(11f));
            boolean sd = r.rounds().stream().anyMatch(x -> !x.sd().isEmpty()) && r.rounds().stream().allMatch(x -> x.ci().isEmpty());
            g.drawString(sd ? "error bars: ± 1 sd over replicates" : "error bars: 95% bootstrap interval over items", W - RIGHT + 24, H - BOTTOM);
        }
        g.dispose();
        return png(img);
    }

    /** Vertical bars with caps from lo to hi at each point. */
    private static void errorBars(Graphics2D g, Plot p, double[][] pts, Color c) {
        g.setColor(c);
        g.setStroke(new BasicStroke(1.6f));
        for (double[] pt : pts) {
            if (Double.isNaN(pt[2])) continue;
            double x = p.px(pt[0]), y0 = p.py(pt[2]), y1 = p.py(pt[3]);
            g.draw(new Line2D.Double(x, y0, x, y1));
            g.draw(new Line2D.Double(x - 5, y0, x + 5, y0));
            g.draw(new Line2D.Double(x - 5, y1, x + 5, y1));
        }
    }

    /** Training examples kept and dropped per round (grouped bars with their values). */
    public static byte[] keptChart(RunReport r) {
        List<RunReport.Row> rows = r.rounds().stream().filter(x -> x.kept() != null).toList();
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = setup(img);
        title(g, "Training examples per round");
        long max = 1;
        for (RunReport.Row x : rows) max = Math.max(max, Math.max(x.kept(), x.droppedTotal()));
        double[] yt = ticks(0, max * 1.12, 5);
        double yMax = yt[yt.length - 1];
        Plot plot = new Plot(0, Math.max(1, rows.size()), 0, yMax);
        grid(g, plot, yt, v -> String.format(Locale.ROOT, "%,.0f", v));
        Color kept = new Color(0x1f77b4), dropped = new Color(0xd9a2a2);
        double slot = (plot.px(1) - plot.px(0));
        double bw = Math.min(60, slot * 0.32);
        g.setFont(g.getFont().deriveFont(12f));
        for (int i = 0; i < rows.size(); i++) {
            RunReport.Row x = rows.get(i);
            double cx = plot.px(i + 0.5);
            bar(g, plot, cx - bw, bw, x.kept(), kept);
            bar(g, plot, cx, bw, x.droppedTotal(), dropped);
            xTick(g, plot, i + 0.5, MarkdownReport.label(x).replace("Iteration ", "").replace("Seed (round 0)", "0"));
        }
        axes(g, plot, "Round", "Examples");
        if (rows.isEmpty()) {
            g.setColor(Color.DARK_GRAY);
            center(g, "no training rounds yet", plot.px(0.5), plot.py(yMax / 2));
        }
        legend(g, List.of("kept (SFT examples)", "dropped (all reasons)"), List.of(kept, dropped), null);
        g.dispose();
        return png(img);
    }

    /**
     * Training curves: one line per series over steps on a shared y axis (e.g. GRPO's mean reward
     * and validation accuracy, or its KL to the reference). Series may be empty; NaN points are skipped.
     */
    public static byte[] curves(String titleText, String xLabel, String yLabel, List<String> names, List<double[][]> series) {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = setup(img);
        title(g, titleText);
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        List<double[][]> clean = new ArrayList<>();
        for (double[][] s : series) {
            List<double[]> pts = new ArrayList<>();
            for (double[] p : s) {
                if (!Double.isFinite(p[0]) || !Double.isFinite(p[1])) continue;
                pts.add(p);
                x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]);
                lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]);
            }
            clean.add(pts.toArray(new double[0][]));
        }
        if (x0 > x1) { x0 = 0; x1 = 1; lo = 0; hi = 1; }
        if (x1 - x0 < 1) x1 = x0 + 1;
        if (hi - lo < 1e-9) { hi = lo + Math.max(1e-3, Math.abs(lo) * 0.1); }
        double[] yt = ticks(Math.min(0, lo), hi + (hi - Math.min(0, lo)) * 0.08, 5);
        Plot plot = new Plot(x0, x1, yt[0], yt[yt.length - 1]);
        grid(g, plot, yt, v -> String.format(Locale.ROOT, Math.abs(yt[yt.length - 1]) < 0.1 ? "%.4f" : "%.2f", v));
        for (double x : ticks(x0, x1, 6)) if (x >= x0 && x <= x1 && x == Math.rint(x)) xTick(g, plot, x, String.format(Locale.ROOT, "%.0f", x));
        axes(g, plot, xLabel, yLabel);
        List<Color> colors = new ArrayList<>();
        for (int i = 0; i < clean.size(); i++) {
            Color c = SERIES[i % SERIES.length];
            colors.add(c);
            line(g, plot, clean.get(i), c, clean.get(i).length > 60 ? 1f : 2f);
        }
        legend(g, names, colors, null);
        g.dispose();
        return png(img);
    }

    // ---- drawing helpers ----

    /** Maps data coordinates into the plot area. */
    record Plot(double x0, double x1, double y0, double y1) {
        double px(double x) { return LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT); }
        double py(double y) { return H - BOTTOM - (y - y0) / (y1 - y0) * (H - TOP - BOTTOM); }
    }

    private static Graphics2D setup(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        return g;
    }

    private static void title(Graphics2D g, String text) {
        Font f = g.getFont();
        g.setFont(f.deriveFont(Font.BOLD, 18f));
        g.setColor(Color.BLACK);
        center(g, text, LEFT + (W - LEFT - RIGHT) / 2.0, 34);
        g.setFont(f);
    }

    private static void grid(Graphics2D g, Plot p, double[] yTicks, java.util.function.DoubleFunction<String> fmt) {
        FontMetrics fm = g.getFontMetrics();
        for (double v : yTicks) {
            double y = p.py(v);
            g.setColor(new Color(0xe6e6e6));
            g.setStroke(new BasicStroke(1f));
            g.draw(new Line2D.Double(LEFT, y, W - RIGHT, y));
            g.setColor(Color.BLACK);
            g.draw(new Line2D.Double(LEFT - 5, y, LEFT, y));
            String s = fmt.apply(v);
            g.drawString(s, LEFT - 9 - fm.stringWidth(s), (float) (y + fm.getAscent() / 2.0 - 1));
        }
    }

    private static void xTick(Graphics2D g, Plot p, double x, String label) {
        double px = p.px(x);
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1f));
        g.draw(new Line2D.Double(px, H - BOTTOM, px, H - BOTTOM + 5));
        center(g, label, px, H - BOTTOM + 22);
    }

    private static void axes(Graphics2D g, Plot p, String xLabel, String yLabel) {
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1.4f));
        g.draw(new Line2D.Double(LEFT, TOP, LEFT, H - BOTTOM));
        g.draw(new Line2D.Double(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM));
        Font f = g.getFont();
        g.setFont(f.deriveFont(Font.BOLD, 14f));
        center(g, xLabel, LEFT + (W - LEFT - RIGHT) / 2.0, H - 22);
        AffineTransform at = g.getTransform();
        g.rotate(-Math.PI / 2);
        center(g, yLabel, -(TOP + (H - TOP - BOTTOM) / 2.0), 26);
        g.setTransform(at);
        g.setFont(f);
    }

    private static void line(Graphics2D g, Plot p, double[][] pts, Color c, float width) {
        g.setColor(c);
        g.setStroke(new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        Path2D path = new Path2D.Double();
        for (int i = 0; i < pts.length; i++) {
            double x = p.px(pts[i][0]), y = p.py(pts[i][1]);
            if (i == 0) path.moveTo(x, y);
            else path.lineTo(x, y);
        }
        if (pts.length > 1) g.draw(path);
        for (double[] pt : pts) {
            double r = width + 2.5;
            g.fill(new Ellipse2D.Double(p.px(pt[0]) - r, p.py(pt[1]) - r, 2 * r, 2 * r));
        }
    }

    private static void bar(Graphics2D g, Plot p, double x, double w, long value, Color c) {
        double top = p.py(value), base = p.py(0);
        g.setColor(c);
        g.fill(new java.awt.geom.Rectangle2D.Double(x, top, w, base - top));
        g.setColor(c.darker());
        g.setStroke(new BasicStroke(1f));
        g.draw(new java.awt.geom.Rectangle2D.Double(x, top, w, base - top));
        g.setColor(Color.BLACK);
        center(g, String.format(Locale.ROOT, "%,d", value), x + w / 2, top - 6);
    }

    /**
     * Legend at the right; {@code dashed} null draws filled swatches (bars) instead of line samples.
     * Long labels (baseline model names) wrap onto further lines instead of being cut off.
     */
    private static void legend(Graphics2D g, List<String> labels, List<Color> colors, List<Boolean> dashed) {
        int x = W - RIGHT + 24, y = TOP + 10;
        g.setColor(Color.BLACK);
        Font f = g.getFont();
        g.setFont(f.deriveFont(Font.BOLD, 13f));
        g.drawString("Legend", x, y);
        g.setFont(f.deriveFont(12f));
        Stroke solid = new BasicStroke(3f);
        int ly = y + 22;
        for (int i = 0; i < labels.size(); i++) {
            g.setColor(colors.get(i));
            if (dashed == null) { // bar chart: filled swatches
                g.fillRect(x + 6, ly - 11, 14, 14);
            } else {
                g.setStroke(dashed.get(i) ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{6f, 4f}, 0f) : solid);
                g.draw(new Line2D.Double(x, ly - 4, x + 26, ly - 4));
            }
            g.setColor(Color.BLACK);
            List<String> lines = wrap(g.getFontMetrics(), labels.get(i), LEGEND_TEXT_WIDTH);
            for (int k = 0; k < lines.size(); k++) g.drawString(lines.get(k), x + 34, ly + 15 * k);
            ly += 22 + 15 * (lines.size() - 1);
        }
        g.setFont(f);
    }

    /** Room for legend text: from the label's start to 6 pixels before the image's right edge. */
    static final int LEGEND_TEXT_WIDTH = RIGHT - 24 - 34 - 6;

    /**
     * {@code s} broken at spaces into lines at most {@code width} wide; a word too wide alone is
     * broken after its last hyphen that fits, else where it must.
     */
    static List<String> wrap(FontMetrics fm, String s, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : s.split(" ")) {
            String candidate = line.isEmpty() ? word : line + " " + word;
            if (fm.stringWidth(candidate) <= width) {
                line.setLength(0);
                line.append(candidate);
                continue;
            }
            if (!line.isEmpty()) lines.add(line.toString());
            line.setLength(0);
            String w = word;
            while (fm.stringWidth(w) > width && w.length() > 1) {
                int cut = w.length() - 1;
                while (cut > 1 && fm.stringWidth(w.substring(0, cut)) > width) cut--;
                int hyphen = w.lastIndexOf('-', cut - 1);
                if (hyphen > 0) cut = hyphen + 1; // model names break best after a hyphen
                lines.add(w.substring(0, cut));
                w = w.substring(cut);
            }
            line.append(w);
        }
        if (!line.isEmpty() || lines.isEmpty()) lines.add(line.toString());
        return lines;
    }

    private static void center(Graphics2D g, String s, double cx, double baseline) {
        FontMetrics fm = g.getFontMetrics();
        g.drawString(s, (float) (cx - fm.stringWidth(s) / 2.0), (float) baseline);
    }

    /** {round + dx, value%, lo%, hi%} per evaluated round; lo and hi NaN without an interval. */
    private static double[][] points(List<RunReport.Row> rounds, String column, double dx) {
        List<double[]> pts = new ArrayList<>();
        for (RunReport.Row r : rounds) {
            Double v = r.score(column);
            if (v != null && !v.isNaN()) {
                double[] e = ends(r, column);
                pts.add(new double[]{r.round() + dx, 100 * v, e[0], e[1]});
            }
        }
        return pts.toArray(new double[0][]);
    }

    /** The bar of one cell in percent: its 95% interval, else mean ± sd, else NaNs. */
    private static double[] ends(RunReport.Row r, String column) {
        var ci = r.ci().get(column);
        if (ci != null) return new double[]{100 * ci.lo(), 100 * ci.hi()};
        Double sd = r.sd().get(column), v = r.score(column);
        if (sd != null && v != null) return new double[]{100 * (v - sd), 100 * (v + sd)};
        return new double[]{Double.NaN, Double.NaN};
    }

    /** Round tick values from lo to hi with about n steps of 1, 2 or 5 × 10^k. */
    static double[] ticks(double lo, double hi, int n) {
        double raw = (hi - lo) / n;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3 ? 2 * mag : raw / mag < 7 ? 5 * mag : 10 * mag;
        double start = Math.floor(lo / step) * step, end = Math.ceil(hi / step) * step;
        int count = (int) Math.round((end - start) / step) + 1;
        double[] out = new double[count];
        for (int i = 0; i < count; i++) out[i] = start + i * step;
        return out;
    }

    private static byte[] png(BufferedImage img) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
