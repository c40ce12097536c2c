package org.cottention.harness.experiment;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Shape;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import org.cottention.harness.io.AtomicFiles;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.axis.TickUnits;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.ClusteredXYBarRenderer;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.SVGUnits;
import org.jfree.svg.ViewBox;

/**
 * The figures of the reproduction, drawn with JFreeChart from the merged CSV rows. Every figure is written twice,
 * atomically: {@code NAME.png} (300 dpi, for the README) and {@code NAME.svg} beside it (vector, for a paper),
 * both {@value #WIDTH_IN} x {@value #HEIGHT_IN} in, the width of one column of a two-column paper, so the font sizes
 * below are the printed sizes (title and axis titles 9 pt, tick labels and legend 8 pt).
 *
 * <p>Style: the Okabe-Ito colour-blind-safe palette without its yellow; each series (or each group of series) has
 * its own colour and marker, markers alternate filled and hollow and ungrouped series also differ in line style
 * (solid, dashed, dotted, dash-dot), so a series drawn over another stays visible. Log axes have ticks at readable
 * values with plain labels: {@link Scale#LOG2} at powers of two (128, 512, 2k, 8k) for lengths, dimensions, heads,
 * positions and counts; {@link Scale#LOG10} at 1-2-5 steps (1, 2, 5, 10, 20, ...) for memory and time.
 *
 * <p>A figure is a title, two axes and series of points {x, y} or {x, y, low, high} (an interval drawn as error
 * bars, or as a band). Example: a learning curve per model size with each seed as a thin line and the seeds' mean
 * in the legend; the held-out gap against parameters with 95 % intervals; recall against key-value pairs:
 * <pre>{@code
 * Plots.Figure curves = Plots.figure("GPT-J: held-out loss vs step, per model size")
 *         .x("step", Plots.Scale.LINEAR_INTEGER).y("held-out loss (nats per token)", Plots.Scale.LINEAR);
 * for (String size : sizes) {
 *     for (int seed : seeds) curves.add(Plots.series(size + " seed " + seed, seedPoints).group(size).thin().unlisted());
 *     curves.add(Plots.series(size + " (mean of seeds)", meanPoints).group(size));
 * }
 * curves.write(dir.resolve("gpt_curves_by_size.png"));       // also gpt_curves_by_size.svg
 *
 * Plots.figure("Held-out loss gap (cosine - softmax) vs parameters")
 *         .x("parameters", Plots.Scale.LOG10).y("gap (nats per token)", Plots.Scale.LINEAR)
 *         .add(Plots.series("cosine - softmax, 95 % interval", Plots.points(rows, r -> true, "parameters", "gap",
 *                 "gap_low", "gap_high")))              // {x, y, low, high}: error bars; .band() for a band
 *         .write(dir.resolve("gap_vs_parameters.png"));
 *
 * Plots.figure("Recall accuracy vs key-value pairs").x("key-value pairs", Plots.Scale.LOG2)
 *         .y("recall accuracy", Plots.Scale.LINEAR).add(Plots.series("cosine", cos)).add(Plots.series("softmax", soft))
 *         .write(dir.resolve("recall_vs_pairs.png"));
 * }</pre>
 * A histogram is a figure with {@link Figure#histogram} series instead (bins fitted to the data, integer counts),
 * and {@link Figure#marker} draws a vertical reference line on either kind.
 */
public final class Plots {
    private Plots() {}

    static {
        System.setProperty("java.awt.headless", "true");
        // rotated labels (the y axis title) as rotated text, not glyph outlines: searchable, editable SVG
        org.jfree.chart.text.TextUtils.setUseDrawRotatedStringWorkaround(false);
    }

    public static final double WIDTH_IN = 3.5;
    public static final double HEIGHT_IN = 3.0;
    /** The PNG's resolution: its size is {@link #PNG_WIDTH} x {@link #PNG_HEIGHT} pixels. */
    public static final int DPI = 300;
    public static final int PNG_WIDTH = (int) Math.round(WIDTH_IN * DPI);
    public static final int PNG_HEIGHT = (int) Math.round(HEIGHT_IN * DPI);
    private static final double WIDTH_PT = WIDTH_IN * 72, HEIGHT_PT = HEIGHT_IN * 72;

    private static final String FONT = Font.SANS_SERIF;
    private static final Font TITLE_FONT = new Font(FONT, Font.BOLD, 9);
    private static final Font SUBTITLE_FONT = new Font(FONT, Font.PLAIN, 8);
    private static final Font AXIS_FONT = new Font(FONT, Font.PLAIN, 9);
    private static final Font TICK_FONT = new Font(FONT, Font.PLAIN, 8);
    private static final Font LEGEND_FONT = new Font(FONT, Font.PLAIN, 8);

    /** Okabe-Ito (blue, vermillion, bluish green, reddish purple, orange, sky blue, black); its yellow left out. */
    private static final Color[] PALETTE = {new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73),
            new Color(0xCC79A7), new Color(0xE69F00), new Color(0x56B4E9), Color.BLACK};

    /** How an axis maps values and where its ticks go. */
    public enum Scale {
        /** Linear, ticks at 1-2-5 steps (0.5, 1, 1.5 ... or 100, 200 ...). */
        LINEAR,
        /** Linear, integer ticks (counts, steps). */
        LINEAR_INTEGER,
        /** Linear, ticks at multiples of a power of two with binary labels (0, 8k, 16k, 24k): token positions. */
        LINEAR_BINARY,
        /** Logarithmic, ticks at powers of two labelled 128, 512, 2k, 8k: lengths, dimensions, heads, counts. */
        LOG2,
        /** Logarithmic, ticks at 1-2-5 steps labelled 1, 2, 5, 10, 20: memory, time, bytes. */
        LOG10;

        boolean log() {
            return this == LOG2 || this == LOG10;
        }
    }

    public enum Dash {
        SOLID(null), DASHED(new float[] {4f, 2.5f}), DOTTED(new float[] {1f, 2f}), DASH_DOT(new float[] {5f, 2f, 1f, 2f});

        private final float[] pattern;

        Dash(float[] pattern) {
            this.pattern = pattern;
        }
    }

    public enum Interval { BARS, BAND }

    /**
     * One line of a figure. Points are {x, y} or {x, y, low, high}. Series of one group share their colour and
     * marker (and are solid unless {@link #dash} says otherwise); a series without a group is a group of its own and
     * also gets a line style of its own.
     */
    public record Series(String name, List<double[]> points, String group, Dash dash, boolean thinLine,
                         boolean withMarkers, boolean inLegend, Interval interval) {
        public Series group(String g) {
            return new Series(name, points, g, dash, thinLine, withMarkers, inLegend, interval);
        }

        public Series dash(Dash d) {
            return new Series(name, points, group, d, thinLine, withMarkers, inLegend, interval);
        }

        /** A thin line without markers (one seed of several, a noisy training curve). */
        public Series thin() {
            return new Series(name, points, group, dash, true, false, inLegend, interval);
        }

        public Series noMarkers() {
            return new Series(name, points, group, dash, thinLine, false, inLegend, interval);
        }

        /** Left out of the legend (the seeds behind a mean that is listed). */
        public Series unlisted() {
            return new Series(name, points, group, dash, thinLine, withMarkers, false, interval);
        }

        /** The intervals {low, high} as a shaded band instead of error bars. */
        public Series band() {
            return new Series(name, points, group, dash, thinLine, withMarkers, inLegend, Interval.BAND);
        }

        boolean hasIntervals() {
            return points.stream().anyMatch(p -> p.length >= 4);
        }
    }

    public static Series series(String name, List<double[]> points) {
        return new Series(name, points, null, null, false, true, true, Interval.BARS);
    }

    public static Figure figure(String title) {
        return new Figure(title);
    }

    /** A figure being described; {@link #write} draws it. */
    public static final class Figure {
        private final String title;
        private String subtitle;
        private String xLabel = "", yLabel = "";
        private Scale xScale = Scale.LINEAR, yScale = Scale.LINEAR;
        private boolean yIncludesZero = true;
        private final List<Series> series = new ArrayList<>();
        private final Map<String, double[]> histograms = new LinkedHashMap<>();
        private final List<Object[]> markers = new ArrayList<>();

        private Figure(String title) {
            this.title = title;
        }

        /** A second line under the title: the fixed settings of what is plotted. */
        public Figure subtitle(String s) {
            subtitle = s;
            return this;
        }

        /** The x axis: its title (with the unit in brackets) and scale. */
        public Figure x(String label, Scale scale) {
            xLabel = label;
            xScale = scale;
            return this;
        }

        public Figure y(String label, Scale scale) {
            yLabel = label;
            yScale = scale;
            return this;
        }

        /** Whether a linear y axis reaches down to 0 (the default; off for losses). */
        public Figure yIncludesZero(boolean b) {
            yIncludesZero = b;
            return this;
        }

        public Figure add(Series s) {
            series.add(s);
            return this;
        }

        /** A histogram series (bins are fitted to all histogram series together; bars side by side). */
        public Figure histogram(String name, double[] values) {
            histograms.put(name, values);
            return this;
        }

        /** A vertical dashed reference line at x, labelled. */
        public Figure marker(double x, String label) {
            markers.add(new Object[] {x, label});
            return this;
        }

        /** Draws the figure into {@code png} (a name ending in .png) and the .svg beside it. */
        public void write(Path png) throws IOException {
            String name = png.getFileName().toString();
            if (!name.endsWith(".png")) throw new IllegalArgumentException("a figure's file must end in .png: " + png);
            if (!series.isEmpty() && !histograms.isEmpty()) {
                throw new IllegalStateException(title + ": a figure holds lines or histograms, not both");
            }
            JFreeChart chart = chart();
            byte[] pngBytes = Plots.png(chart);
            String base = name.substring(0, name.length() - 4);
            String svg = Plots.svg(chart, base);
            if (png.getParent() != null) Files.createDirectories(png.getParent());
            AtomicFiles.write(png, pngBytes);
            AtomicFiles.writeString(png.resolveSibling(base + ".svg"), svg);
        }

        JFreeChart chart() {
            XYPlot plot = histograms.isEmpty() ? linePlot() : histogramPlot();
            for (Object[] m : markers) {
                ValueMarker v = new ValueMarker((double) m[0], Color.BLACK,
                        new BasicStroke(0.8f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {3f, 2f}, 0f));
                v.setLabel((String) m[1]);
                v.setLabelFont(TICK_FONT);
                v.setLabelBackgroundColor(new Color(255, 255, 255, 0));
                v.setLabelPaint(Color.BLACK);
                // the label on the side of the line with more room
                v.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
                v.setLabelTextAnchor(TextAnchor.TOP_LEFT);
                ValueAxis x = plot.getDomainAxis();
                if ((double) m[0] > (x.getLowerBound() + x.getUpperBound()) / 2) {
                    v.setLabelAnchor(RectangleAnchor.TOP_LEFT);
                    v.setLabelTextAnchor(TextAnchor.TOP_RIGHT);
                }
                v.setLabelOffset(new RectangleInsets(2, 2, 2, 2));
                plot.addDomainMarker(v);
            }
            return Plots.chart(title, subtitle, plot);
        }

        private XYPlot linePlot() {
            XYPlot plot = new XYPlot();
            plot.setDomainAxis(axis(xLabel, xScale, false));
            plot.setRangeAxis(axis(yLabel, yScale, yIncludesZero));
            plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);
            Map<String, Integer> groups = new LinkedHashMap<>();
            int index = 0;
            for (int i = 0; i < series.size(); i++) {
                Series s = series.get(i);
                int style = s.group() == null ? groups.size() : groups.computeIfAbsent(s.group(), g -> groups.size());
                if (s.group() == null) groups.put("\0" + i, style);
                Dash dash = s.dash() != null ? s.dash() : s.group() == null ? Dash.values()[style % Dash.values().length]
                        : Dash.SOLID;
                List<double[]> pts = s.points().stream().filter(p -> drawable(p, xScale, yScale)).toList();
                if (pts.isEmpty()) continue;
                boolean intervals = s.hasIntervals();
                XYLineAndShapeRenderer r;
                if (intervals) {
                    YIntervalSeries ys = new YIntervalSeries(s.name());
                    for (double[] p : pts) {
                        ys.add(p[0], p[1], p.length >= 4 ? p[2] : p[1], p.length >= 4 ? p[3] : p[1]);
                    }
                    YIntervalSeriesCollection data = new YIntervalSeriesCollection();
                    data.addSeries(ys);
                    plot.setDataset(index, data);
                    if (s.interval() == Interval.BAND) {
                        DeviationRenderer band = new DeviationRenderer(true, s.withMarkers());
                        band.setAlpha(0.2f);
                        band.setSeriesFillPaint(0, colour(style));
                        r = band;
                    } else {
                        XYErrorRenderer bars = new XYErrorRenderer();
                        bars.setDrawXError(false);
                        bars.setCapLength(4);
                        bars.setErrorStroke(new BasicStroke(0.8f));
                        bars.setDefaultShapesVisible(s.withMarkers());
                        r = bars;
                    }
                } else {
                    XYSeries xs = new XYSeries(s.name(), false, true);
                    for (double[] p : pts) xs.add(p[0], p[1]);
                    XYSeriesCollection data = new XYSeriesCollection();
                    data.addSeries(xs);
                    plot.setDataset(index, data);
                    r = new SparseMarkers(true, s.withMarkers(), pts.size());
                }
                style(r, style, dash, s.thinLine(), s.withMarkers());
                r.setSeriesVisibleInLegend(0, s.inLegend());
                plot.setRenderer(index, r);
                index++;
            }
            return plot;
        }

        private XYPlot histogramPlot() {
            double[] all = histograms.values().stream().flatMapToDouble(Arrays::stream).filter(Double::isFinite).toArray();
            double[] extra = markers.stream().mapToDouble(m -> (double) m[0]).toArray();
            double[] edges = bins(all, extra);
            int bins = (int) Math.round((edges[1] - edges[0]) / edges[2]);
            HistogramDataset data = new HistogramDataset();
            for (Map.Entry<String, double[]> e : histograms.entrySet()) {
                double[] v = Arrays.stream(e.getValue()).filter(Double::isFinite).toArray();
                if (v.length > 0) data.addSeries(e.getKey(), v, bins, edges[0], edges[1]);
            }
            ClusteredXYBarRenderer r = new ClusteredXYBarRenderer(0.1, false);
            r.setBarPainter(new StandardXYBarPainter());
            r.setShadowVisible(false);
            r.setDrawBarOutline(false);
            for (int i = 0; i < histograms.size(); i++) r.setSeriesPaint(i, colour(i));
            NumberAxis x = (NumberAxis) axis(xLabel, xScale, false);
            x.setAutoRange(false);
            x.setRange(edges[0] - edges[2] / 2, edges[1] + edges[2] / 2);
            NumberAxis count = (NumberAxis) axis(yLabel.isEmpty() ? "count" : yLabel, Scale.LINEAR_INTEGER, true);
            count.setUpperMargin(0.15);
            XYPlot plot = new XYPlot(data, x, count, r);
            return plot;
        }
    }

    /**
     * Histogram bins fitted to the values (and the reference values, which must fall inside): {low, high, width},
     * the width a 1-2-5 step giving at least 10 bins over the data's range, the edges multiples of it.
     */
    static double[] bins(double[] values, double[] references) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        for (double v : references) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        if (!(lo <= hi)) return new double[] {0, 1, 0.1};
        double range = hi - lo;
        if (range == 0) range = lo == 0 ? 1 : Math.abs(lo) * 0.1;
        double width = Math.pow(10, Math.floor(Math.log10(range / 10)));
        for (double m : new double[] {5, 2, 1}) {
            if (range / (m * width) >= 10) {
                width *= m;
                break;
            }
        }
        double low = Math.floor(lo / width + 1e-9) * width;
        double high = Math.ceil(hi / width - 1e-9) * width;
        if (high <= hi) high += width;
        return new double[] {low, high, width};
    }

    private static boolean drawable(double[] p, Scale xs, Scale ys) {
        if (!Double.isFinite(p[0]) || !Double.isFinite(p[1])) return false;
        if (xs.log() && p[0] <= 0) return false;
        if (ys.log() && (p[1] <= 0 || (p.length >= 4 && p[2] <= 0))) return false;
        return true;
    }

    private static Color colour(int style) {
        return PALETTE[style % PALETTE.length];
    }

    private static void style(XYLineAndShapeRenderer r, int style, Dash dash, boolean thin, boolean markers) {
        Color c = colour(style);
        r.setSeriesPaint(0, c);
        float width = thin ? 0.6f : 1.1f;
        r.setSeriesStroke(0, dash.pattern == null ? new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
                : new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash.pattern, 0f));
        r.setSeriesShapesVisible(0, markers);
        if (markers) {
            boolean hollow = style % 2 == 1;
            r.setSeriesShape(0, marker(style, hollow ? 5.5 : 4.5));
            r.setSeriesShapesFilled(0, !hollow);
            r.setUseOutlinePaint(false);
            r.setDrawOutlines(true);
        }
        r.setLegendLine(new java.awt.geom.Line2D.Double(-8, 0, 8, 0));
    }

    /** Markers on at most about a dozen evenly spread points of a series, so that a long series stays a line. */
    private static final class SparseMarkers extends XYLineAndShapeRenderer {
        private final int every;

        SparseMarkers(boolean lines, boolean shapes, int points) {
            super(lines, shapes);
            every = Math.max(1, (int) Math.ceil(points / 12.0));
        }

        @Override
        public boolean getItemShapeVisible(int series, int item) {
            return super.getItemShapeVisible(series, item) && item % every == 0;
        }
    }

    /** Circle, square, triangle up, diamond, triangle down, cross; size in points. */
    private static Shape marker(int style, double size) {
        double h = size / 2;
        return switch (style % 6) {
            case 0 -> new Ellipse2D.Double(-h, -h, size, size);
            case 1 -> new Rectangle2D.Double(-h, -h, size, size);
            case 2 -> polygon(0, -h * 1.15, h * 1.1, h * 0.85, -h * 1.1, h * 0.85);
            case 3 -> polygon(0, -h * 1.25, h * 1.25, 0, 0, h * 1.25, -h * 1.25, 0);
            case 4 -> polygon(0, h * 1.15, h * 1.1, -h * 0.85, -h * 1.1, -h * 0.85);
            default -> polygon(-h, -h, 0, -h * 0.3, h, -h, h * 0.3, 0, h, h, 0, h * 0.3, -h, h, -h * 0.3, 0);
        };
    }

    private static Shape polygon(double... xy) {
        java.awt.geom.Path2D.Double p = new java.awt.geom.Path2D.Double();
        p.moveTo(xy[0], xy[1]);
        for (int i = 2; i < xy.length; i += 2) p.lineTo(xy[i], xy[i + 1]);
        p.closePath();
        return p;
    }

    private static ValueAxis axis(String label, Scale scale, boolean includeZero) {
        ValueAxis a;
        if (scale.log()) {
            a = new ReadableLogAxis(label, scale);
        } else {
            NumberAxis n = new NumberAxis(label);
            n.setStandardTickUnits(tickUnits(scale));
            n.setAutoRangeIncludesZero(includeZero);
            n.setAutoRangeStickyZero(true);
            a = n;
        }
        a.setLabelFont(AXIS_FONT);
        a.setTickLabelFont(TICK_FONT);
        a.setTickLabelPaint(Color.BLACK);
        a.setLabelPaint(Color.BLACK);
        a.setAxisLinePaint(Color.BLACK);
        a.setAxisLineStroke(new BasicStroke(0.6f));
        a.setTickMarkPaint(Color.BLACK);
        a.setTickMarkStroke(new BasicStroke(0.6f));
        a.setTickMarkInsideLength(0);
        a.setTickMarkOutsideLength(2.5f);
        a.setTickLabelInsets(new RectangleInsets(1.5, 1.5, 1.5, 1.5));
        a.setLabelInsets(new RectangleInsets(1.5, 1.5, 1.5, 1.5));
        a.setLowerMargin(0.04);
        a.setUpperMargin(0.04);
        return a;
    }

    private static TickUnits tickUnits(Scale scale) {
        TickUnits units = new TickUnits();
        NumberFormat format = new PlainFormat(scale == Scale.LINEAR_BINARY);
        if (scale == Scale.LINEAR_BINARY) {
            for (int k = 0; k < 50; k++) units.add(new NumberTickUnit(Math.pow(2, k), format, 1));
        } else {
            for (int e = scale == Scale.LINEAR_INTEGER ? 0 : -9; e < 15; e++) {
                for (double m : new double[] {1, 2, 5}) {
                    units.add(new NumberTickUnit(new BigDecimal(m).scaleByPowerOfTen(e).doubleValue(), format, 1));
                }
            }
        }
        return units;
    }

    private static JFreeChart chart(String title, String subtitle, XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlineVisible(false);
        Color grid = new Color(0xDDDDDD);
        plot.setDomainGridlinePaint(grid);
        plot.setRangeGridlinePaint(grid);
        plot.setDomainGridlineStroke(new BasicStroke(0.4f));
        plot.setRangeGridlineStroke(new BasicStroke(0.4f));
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        plot.setInsets(new RectangleInsets(2, 2, 2, 6));
        JFreeChart chart = new JFreeChart(title, TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(3, 3, 3, 3));
        chart.getTitle().setPaint(Color.BLACK);
        chart.getTitle().setMaximumLinesToDisplay(2);
        LegendTitle legend = chart.getLegend();
        legend.setItemFont(LEGEND_FONT);
        legend.setFrame(BlockBorder.NONE);
        legend.setBackgroundPaint(Color.WHITE);
        legend.setPosition(RectangleEdge.BOTTOM);
        legend.setItemLabelPadding(new RectangleInsets(0.5, 1.5, 0.5, 4));
        legend.setLegendItemGraphicPadding(new RectangleInsets(0.5, 1, 0.5, 1));
        if (subtitle != null && !subtitle.isEmpty()) {
            TextTitle sub = new TextTitle(subtitle, SUBTITLE_FONT);
            sub.setPaint(new Color(0x333333));
            sub.setMaximumLinesToDisplay(2);
            chart.addSubtitle(0, sub);
        }
        return chart;
    }

    private static byte[] png(JFreeChart chart) throws IOException {
        BufferedImage image = new BufferedImage(PNG_WIDTH, PNG_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, PNG_WIDTH, PNG_HEIGHT);
            g.scale(PNG_WIDTH / WIDTH_PT, PNG_HEIGHT / HEIGHT_PT);
            chart.draw(g, new Rectangle2D.Double(0, 0, WIDTH_PT, HEIGHT_PT));
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ChartUtils.writeBufferedImageAsPNG(out, image);
        return out.toByteArray();
    }

    /** The SVG document; its ids start with the figure's name (not a clock reading), so a redraw is byte-identical. */
    private static String svg(JFreeChart chart, String name) {
        SVGGraphics2D g = new SVGGraphics2D(WIDTH_PT, HEIGHT_PT, SVGUnits.PT);
        g.setDefsKeyPrefix(name.replaceAll("[^A-Za-z0-9_-]", "_") + "-");
        chart.draw(g, new Rectangle2D.Double(0, 0, WIDTH_PT, HEIGHT_PT));
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + g.getSVGElement(null, true, new ViewBox(0, 0, (int) Math.ceil(WIDTH_PT), (int) Math.ceil(HEIGHT_PT)),
                null, null) + "\n";
    }

    /** A log axis whose ticks are at readable values ({@link #logTicks}) with plain labels. */
    private static final class ReadableLogAxis extends LogAxis {
        private final Scale scale;

        ReadableLogAxis(String label, Scale scale) {
            super(label);
            this.scale = scale;
            setBase(scale == Scale.LOG2 ? 2 : 10);
            setSmallestValue(1e-12);
            setMinorTickMarksVisible(false);
        }

        @Override
        @SuppressWarnings("rawtypes")
        public List refreshTicks(Graphics2D g2, AxisState state, Rectangle2D dataArea, RectangleEdge edge) {
            boolean horizontal = RectangleEdge.isTopOrBottom(edge);
            g2.setFont(getTickLabelFont());
            java.awt.FontMetrics fm = g2.getFontMetrics();
            ToDoubleFunction<String> size = horizontal ? s -> fm.getStringBounds(s, g2).getWidth() + 4
                    : s -> fm.getHeight() * 1.3;
            List<Double> values = logTicks(scale, getLowerBound(), getUpperBound(),
                    v -> valueToJava2D(v, dataArea, edge), size);
            TextAnchor anchor = horizontal ? (edge == RectangleEdge.TOP ? TextAnchor.BOTTOM_CENTER : TextAnchor.TOP_CENTER)
                    : (edge == RectangleEdge.RIGHT ? TextAnchor.CENTER_LEFT : TextAnchor.CENTER_RIGHT);
            List<NumberTick> ticks = new ArrayList<>();
            for (double v : values) ticks.add(new NumberTick(TickType.MAJOR, v, label(v, scale == Scale.LOG2), anchor, anchor, 0));
            return ticks;
        }
    }

    /**
     * Tick values of a log axis over [lo, hi]: for LOG2 every k-th power of two, for LOG10 1-2-5 steps (finer when
     * the range is short, only powers of ten when it is long), the finest set whose labels do not overlap.
     * position: value -> coordinate along the axis; size: label -> its extent along the axis.
     */
    static List<Double> logTicks(Scale scale, double lo, double hi, DoubleUnaryOperator position,
                                 ToDoubleFunction<String> size) {
        List<List<Double>> candidates = new ArrayList<>();
        if (scale == Scale.LOG2) {
            int first = (int) Math.ceil(Math.log(lo) / Math.log(2) - 1e-9);
            int last = (int) Math.floor(Math.log(hi) / Math.log(2) + 1e-9);
            for (int step = 1; step <= Math.max(1, last - first); step++) {
                List<Double> c = new ArrayList<>();
                for (int e = first; e <= last; e += step) c.add(Math.pow(2, e));
                if (c.size() < 2 && step == 1) break;
                candidates.add(c);
            }
        }
        if (candidates.isEmpty()) {
            int first = (int) Math.floor(Math.log10(lo)) - 1, last = (int) Math.ceil(Math.log10(hi)) + 1;
            double[][] mantissas = {{1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 5}, {1, 2, 5}, {1}};
            for (double[] ms : mantissas) candidates.add(decades(ms, first, last, 1, lo, hi));
            for (int step = 2; step <= Math.max(2, last - first); step++) candidates.add(decades(new double[] {1}, first, last, step, lo, hi));
            // prefer 1-2-5 over finer steps when it gives at least three ticks
            if (candidates.get(2).size() >= 3) candidates.subList(0, 2).clear();
            else if (candidates.get(1).size() >= 3) candidates.subList(0, 1).clear();
            // less than a factor of two: evenly spaced round values
            else if (candidates.get(0).size() < 2) candidates.add(0, evenTicks(lo, hi));
        }
        for (List<Double> c : candidates) {
            if (fits(c, position, size, scale == Scale.LOG2)) return c;
        }
        return candidates.get(candidates.size() - 1);
    }

    /** About four multiples of a 1-2-5 step inside [lo, hi]. */
    private static List<Double> evenTicks(double lo, double hi) {
        double step = Math.pow(10, Math.floor(Math.log10((hi - lo) / 4)));
        for (double m : new double[] {5, 2, 1}) {
            if ((hi - lo) / (m * step) >= 3) {
                step *= m;
                break;
            }
        }
        List<Double> c = new ArrayList<>();
        for (double v = Math.ceil(lo / step) * step; v <= hi; v += step) {
            c.add(new BigDecimal(v).round(new MathContext(12)).doubleValue());
        }
        return c;
    }

    private static List<Double> decades(double[] mantissas, int first, int last, int step, double lo, double hi) {
        List<Double> c = new ArrayList<>();
        for (int e = first; e <= last; e++) {
            if (Math.floorMod(e, step) != 0) continue;
            for (double m : mantissas) {
                double v = new BigDecimal(m).scaleByPowerOfTen(e).doubleValue();
                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) c.add(v);
            }
        }
        return c;
    }

    private static boolean fits(List<Double> ticks, DoubleUnaryOperator position, ToDoubleFunction<String> size,
                                boolean binary) {
        for (int i = 1; i < ticks.size(); i++) {
            double gap = Math.abs(position.applyAsDouble(ticks.get(i)) - position.applyAsDouble(ticks.get(i - 1)));
            double need = (size.applyAsDouble(label(ticks.get(i), binary)) + size.applyAsDouble(label(ticks.get(i - 1), binary))) / 2;
            if (gap < need) return false;
        }
        return true;
    }

    /**
     * A plain tick label: binary, multiples of 1024 as 2k, 16k and of 2^20 as 1M; otherwise thousands as 1k, 2.5k,
     * millions as 1M, smaller values as they are (0.005, 2, 500).
     */
    static String label(double v, boolean binary) {
        return label(v, binary, 1e3);
    }

    /** The same with thousands written as k only from thousandsFrom on (10000 on linear axes: 800, 1200). */
    private static String label(double v, boolean binary, double thousandsFrom) {
        if (v == 0) return "0";
        double a = Math.abs(v);
        if (binary) {
            if (a >= 1 << 20 && a % (1 << 20) == 0) return plain(v / (1 << 20)) + "M";
            if (a >= 1024 && a % 1024 == 0) return plain(v / 1024) + "k";
        } else {
            if (a >= Math.max(1e6, thousandsFrom) && a % 1e5 == 0) return plain(v / 1e6) + "M";
            if (a >= thousandsFrom && a % 1e2 == 0) return plain(v / 1e3) + "k";
        }
        return plain(v);
    }

    private static String plain(double v) {
        return new BigDecimal(v).round(new MathContext(10)).stripTrailingZeros().toPlainString();
    }

    /** The tick label format of the linear axes ({@link #label}; thousands as k from 10000 on). */
    private static final class PlainFormat extends NumberFormat {
        private final boolean binary;

        PlainFormat(boolean binary) {
            this.binary = binary;
        }

        @Override
        public StringBuffer format(double number, StringBuffer to, FieldPosition pos) {
            return to.append(label(Math.abs(number) < 1e-12 ? 0 : number, binary, 1e4));
        }

        @Override
        public StringBuffer format(long number, StringBuffer to, FieldPosition pos) {
            return to.append(label(number, binary, 1e4));
        }

        @Override
        public Number parse(String source, ParsePosition pos) {
            return null;
        }
    }

    /** Points (x, y) of the rows that pass the filter, as numbers from two columns; sorted by x. */
    static List<double[]> points(List<Map<String, String>> rows, Predicate<Map<String, String>> filter, String xCol,
                                 String yCol) {
        return rows.stream().filter(filter)
                .filter(r -> !r.getOrDefault(yCol, "").isEmpty() && !r.getOrDefault(xCol, "").isEmpty())
                .map(r -> new double[] {Double.parseDouble(r.get(xCol)), Double.parseDouble(r.get(yCol))})
                .sorted((a, b) -> Double.compare(a[0], b[0])).toList();
    }

    /** Points (x, y, low, high) of the rows that pass the filter, from four columns (an interval); sorted by x. */
    static List<double[]> points(List<Map<String, String>> rows, Predicate<Map<String, String>> filter, String xCol,
                                 String yCol, String lowCol, String highCol) {
        return rows.stream().filter(filter)
                .filter(r -> List.of(xCol, yCol, lowCol, highCol).stream().noneMatch(c -> r.getOrDefault(c, "").isEmpty()))
                .map(r -> new double[] {Double.parseDouble(r.get(xCol)), Double.parseDouble(r.get(yCol)),
                        Double.parseDouble(r.get(lowCol)), Double.parseDouble(r.get(highCol))})
                .sorted((a, b) -> Double.compare(a[0], b[0])).toList();
    }

    /**
     * The main loss (BERT: masked LM, without NSP) on the training batches and held out against step of several
     * runs, read from the curve.csv each run keeps in work/RUN/; returns false (and writes nothing) when none of the
     * runs' curves is there. The held-out loss is the main loss, so the training curve is too.
     */
    static boolean curves(Path file, String title, String yLabel, Path work, List<String> runs) throws IOException {
        Figure f = figure(title).subtitle("thin: training batches; dashed, markers: held-out")
                .x("step", Scale.LINEAR_INTEGER).y(yLabel, Scale.LINEAR).yIncludesZero(false);
        boolean any = false;
        for (String run : runs) {
            Path csv = work.resolve(run).resolve("curve.csv");
            if (!Files.isRegularFile(csv)) continue;
            any = true;
            List<Map<String, String>> rows = Experiments.readCsv(csv);
            List<double[]> train = points(rows, r -> true, "step", "train_main_loss");
            if (train.isEmpty()) train = points(rows, r -> true, "step", "train_loss");
            f.add(series(run + " (train)", train).group(run).thin().unlisted());
            f.add(series(run, points(rows, r -> !r.get("eval_loss").isEmpty()
                    && !r.get("eval_loss").equals("NaN"), "step", "eval_loss")).group(run).dash(Dash.DASHED));
        }
        if (any) f.write(file);
        return any;
    }

    static void scaling(Path dir, List<Map<String, String>> rows) throws IOException {
        Map<String, String> sweepAxis = Map.of("length", "sequence length s (tokens)", "dim", "model dimension D",
                "heads", "heads H");
        Map<String, String> sweepName = Map.of("length", "sequence length", "dim", "model dimension", "heads", "heads");
        Map<String, String> sweepColumn = Map.of("length", "length", "dim", "model_dim", "heads", "heads");
        for (String sweep : List.of("length", "dim", "heads")) {
            for (String pass : new String[] {"forward", "forward+backward"}) {
                String fixed = rows.stream().filter(r -> r.get("sweep").equals(sweep)).findFirst()
                        .map(r -> sweep.equals("length") ? "D = " + r.get("model_dim") + ", " + r.get("heads") + " heads"
                                : sweep.equals("dim") ? "s = " + r.get("length") + ", " + r.get("heads") + " heads"
                                : "s = " + r.get("length") + ", D = " + r.get("model_dim")).orElse("");
                for (String[] metric : new String[][] {
                        {"median_ms", "median time (ms)", "time", "time"},
                        {"alloc_mib", "memory (MiB)", "memory", "allocated memory"},
                        {"peak_rss_mib", "peak RSS (MiB)", "peak_rss", "process peak RSS"}}) {
                    String p = pass.equals("forward") ? "Forward" : "Forward+backward";
                    Figure f = figure(p + ": " + metric[3] + " vs " + sweepName.get(sweep))
                            .subtitle("one attention layer, " + fixed + ", batch 1, float32")
                            .x(sweepAxis.get(sweep), Scale.LOG2).y(metric[1], Scale.LOG10);
                    for (String kind : new String[] {"cosine", "softmax"}) {
                        for (String mode : new String[] {"bidirectional", "causal"}) {
                            f.add(series(kind + " " + mode, points(rows, r -> r.get("sweep").equals(sweep)
                                    && r.get("pass").equals(pass) && r.get("attention").equals(kind)
                                    && r.get("mode").equals(mode) && r.get("status").equals("ok"),
                                    sweepColumn.get(sweep), metric[0])));
                        }
                    }
                    f.write(dir.resolve(String.format("attention_scaling_%s_vs_%s_%s.png", metric[2], sweep,
                            pass.equals("forward") ? "fwd" : "fwdbwd")));
                }
            }
        }
    }

    static void decoding(Path dir, List<Map<String, String>> rows) throws IOException {
        String shape = rows.isEmpty() ? "" : rows.get(0).get("shape");
        for (String[] metric : new String[][] {
                {"state_mib", "memory (MiB)", "memory", "state / KV-cache size"},
                {"step_ms_median", "median time per token (ms)", "latency", "time per token"},
                {"rss_mib", "process RSS (MiB)", "rss", "process RSS"}}) {
            Figure f = figure("Decoding: " + metric[3] + " vs position")
                    .subtitle("one causal attention layer, " + shape)
                    .x("position (tokens)", Scale.LINEAR_BINARY).y(metric[1], Scale.LINEAR);
            for (String kind : new String[] {"cosine", "softmax"}) {
                f.add(series(kind.equals("cosine") ? "cosine (recurrent state)" : "softmax (KV cache)",
                        points(rows, r -> r.get("attention").equals(kind), "position", metric[0])));
            }
            f.write(dir.resolve("decoding_" + metric[2] + "_vs_position.png"));
        }
    }
}
