package org.cottention.harness.experiment;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.cottention.harness.io.AtomicFiles;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The PNG plots of the reproduction, drawn with JFreeChart from the merged CSV rows; written atomically. */
public final class Plots {
    private Plots() {}

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Series name -> points (x, y). */
    public static void lines(Path file, String title, String subtitle, String xLabel, String yLabel, boolean logX,
                             boolean logY, Map<String, List<double[]>> series) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            XYSeries s = new XYSeries(e.getKey());
            for (double[] pt : e.getValue()) {
                if (!(logX && pt[0] <= 0) && !(logY && pt[1] <= 0) && Double.isFinite(pt[1])) s.add(pt[0], pt[1]);
            }
            if (s.getItemCount() > 0) data.addSeries(s);
        }
        ValueAxis x = logX ? log(xLabel) : new NumberAxis(xLabel);
        ValueAxis y = logY ? log(yLabel) : new NumberAxis(yLabel);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) renderer.setSeriesStroke(i, new BasicStroke(2f));
        XYPlot plot = new XYPlot(data, x, y, renderer);
        write(file, chart(title, subtitle, plot));
    }

    /** One histogram per series, overlaid. */
    public static void histogram(Path file, String title, String subtitle, String xLabel, Map<String, double[]> series,
                                 int bins, double min, double max) throws IOException {
        HistogramDataset data = new HistogramDataset();
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            if (e.getValue().length > 0) data.addSeries(e.getKey(), e.getValue(), bins, min, max);
        }
        XYBarRenderer renderer = new XYBarRenderer(0.1);
        renderer.setShadowVisible(false);
        renderer.setDrawBarOutline(false);
        XYPlot plot = new XYPlot(data, new NumberAxis(xLabel), new NumberAxis("count"), renderer);
        plot.setForegroundAlpha(0.6f);
        write(file, chart(title, subtitle, plot));
    }

    private static LogAxis log(String label) {
        LogAxis a = new LogAxis(label);
        a.setSmallestValue(1e-6);
        return a;
    }

    private static JFreeChart chart(String title, String subtitle, XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        if (subtitle != null) chart.addSubtitle(new TextTitle(subtitle));
        return chart;
    }

    private static void write(Path file, JFreeChart chart) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ChartUtils.writeChartAsPNG(png, chart, 900, 560);
        AtomicFiles.write(file, png.toByteArray());
    }

    /** Points (x, y) of the rows that pass the filter, as numbers from two columns; sorted by x. */
    static List<double[]> points(List<Map<String, String>> rows, Predicate<Map<String, String>> filter, String xCol,
                                 String yCol) {
        return rows.stream().filter(filter)
                .filter(r -> !r.getOrDefault(yCol, "").isEmpty() && !r.getOrDefault(xCol, "").isEmpty())
                .map(r -> new double[] {Double.parseDouble(r.get(xCol)), Double.parseDouble(r.get(yCol))})
                .sorted((a, b) -> Double.compare(a[0], b[0])).toList();
    }

    /** Training loss against step of several runs, read from the curve.csv each run keeps in work/RUN/. */
    static void curves(Path file, String title, Path work, List<String> runs) throws IOException {
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (String run : runs) {
            Path csv = work.resolve(run).resolve("curve.csv");
            if (!java.nio.file.Files.isRegularFile(csv)) continue;
            List<Map<String, String>> rows = Experiments.readCsv(csv);
            series.put(run + " (train)", points(rows, r -> true, "step", "train_loss"));
            series.put(run + " (held-out)", points(rows, r -> !r.get("eval_loss").isEmpty()
                    && !r.get("eval_loss").equals("NaN"), "step", "eval_loss"));
        }
        lines(file, title, null, "step", "loss", false, false, series);
    }

    static void scaling(Path dir, List<Map<String, String>> rows) throws IOException {
        Map<String, String> sweepAxis = Map.of("length", "sequence length s", "dim", "model dimension",
                "heads", "heads");
        Map<String, String> sweepColumn = Map.of("length", "length", "dim", "model_dim", "heads", "heads");
        for (String sweep : sweepAxis.keySet()) {
            for (String pass : new String[] {"forward", "forward+backward"}) {
                String fixed = rows.stream().filter(r -> r.get("sweep").equals(sweep)).findFirst()
                        .map(r -> sweep.equals("length") ? "model dim " + r.get("model_dim") + ", " + r.get("heads") + " heads"
                                : sweep.equals("dim") ? "length " + r.get("length") + ", " + r.get("heads") + " heads"
                                : "length " + r.get("length") + ", model dim " + r.get("model_dim")).orElse("");
                for (String[] metric : new String[][] {{"median_ms", "time (ms, median)", "time"},
                        {"alloc_mib", "memory allocated by the operation (MiB)", "memory"},
                        {"peak_rss_mib", "process peak RSS (MiB)", "peak_rss"}}) {
                    Map<String, List<double[]>> series = new LinkedHashMap<>();
                    for (String kind : new String[] {"cosine", "softmax"}) {
                        for (String mode : new String[] {"bidirectional", "causal"}) {
                            series.put(kind + " " + mode, points(rows, r -> r.get("sweep").equals(sweep)
                                    && r.get("pass").equals(pass) && r.get("attention").equals(kind)
                                    && r.get("mode").equals(mode) && r.get("status").equals("ok"),
                                    sweepColumn.get(sweep), metric[0]));
                        }
                    }
                    String name = String.format("attention_scaling_%s_vs_%s_%s.png", metric[2], sweep,
                            pass.equals("forward") ? "fwd" : "fwdbwd");
                    lines(dir.resolve(name), "One attention layer, " + pass + ": " + metric[2] + " vs " + sweep,
                            fixed + ", batch 1, float32", sweepAxis.get(sweep), metric[1], true, true, series);
                }
            }
        }
    }

    static void decoding(Path dir, List<Map<String, String>> rows) throws IOException {
        String shape = rows.isEmpty() ? "" : rows.get(0).get("shape");
        for (String[] metric : new String[][] {{"state_mib", "state / KV cache memory (MiB)", "memory"},
                {"step_ms_median", "time per generated token (ms, median of a window)", "latency"},
                {"rss_mib", "process RSS (MiB)", "rss"}}) {
            Map<String, List<double[]>> series = new LinkedHashMap<>();
            for (String kind : new String[] {"cosine", "softmax"}) {
                series.put(kind.equals("cosine") ? "cosine (recurrent state)" : "softmax (KV cache)",
                        points(rows, r -> r.get("attention").equals(kind), "position", metric[0]));
            }
            lines(dir.resolve("decoding_" + metric[2] + "_vs_position.png"), "Generation: " + metric[2]
                    + " per token vs position", "one causal attention layer, " + shape, "position (tokens)",
                    metric[1], false, false, series);
        }
    }
}
