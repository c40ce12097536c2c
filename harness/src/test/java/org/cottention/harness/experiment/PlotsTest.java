package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of figure, drawn by the experiments' reports from small tables (PlotFixtures): both files written, the
 * PNG of the set size, the SVG with its title, legend and readable tick labels (128, 2k, 8k; never 10^x).
 */
class PlotsTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void drawEveryReport() throws Exception {
        for (Map.Entry<String, List<Map<String, String>>> t : PlotFixtures.tables().entrySet()) {
            Experiments.find(t.getKey()).orElseThrow().report(Profile.DEFAULT, dir, dir, t.getValue());
        }
    }

    @Test
    void scalingAgainstLengthHasPowerOfTwoTicksAndEverySeries() throws Exception {
        List<String> text = figure("attention_scaling_time_vs_length_fwd");
        assertTrue(text.contains("Forward: time vs sequence length"), text.toString());
        for (String s : List.of("cosine bidirectional", "cosine causal", "softmax bidirectional", "softmax causal")) {
            assertTrue(text.contains(s), s + " in " + text);
        }
        for (String tick : List.of("128", "512", "2k", "8k")) assertTrue(text.contains(tick), tick + " in " + text);
        assertTrue(text.contains("sequence length s (tokens)") && text.contains("median time (ms)"), text.toString());
        // the y ticks are 1-2-5 values (or powers of ten)
        List<Double> y = numbers(text).stream().filter(v -> !List.of(128.0, 256.0, 512.0).contains(v)).toList();
        assertFalse(y.isEmpty(), text.toString());
        for (double v : y) assertTrue(oneTwoFive(v), v + " is not a 1-2-5 value: " + text);
    }

    @Test
    void everyScalingFigureIsWritten() throws Exception {
        for (String metric : List.of("time", "memory", "peak_rss")) {
            for (String sweep : List.of("length", "dim", "heads")) {
                for (String pass : List.of("fwd", "fwdbwd")) {
                    figure("attention_scaling_" + metric + "_vs_" + sweep + "_" + pass);
                }
            }
        }
        assertTrue(figure("attention_scaling_memory_vs_heads_fwd").containsAll(List.of("1", "4", "16", "64")));
        assertTrue(figure("attention_scaling_memory_vs_dim_fwdbwd").containsAll(List.of("256", "1k", "4k")));
    }

    @Test
    void decodingTitlesSayWhatIsPlotted() throws Exception {
        List<String> memory = figure("decoding_memory_vs_position");
        assertTrue(memory.contains("Decoding: state / KV-cache size vs position"), memory.toString());
        assertTrue(memory.containsAll(List.of("cosine (recurrent state)", "softmax (KV cache)", "memory (MiB)",
                "position (tokens)", "8k", "16k", "24k")), memory.toString());
        assertTrue(figure("decoding_latency_vs_position").contains("median time per token (ms)"));
        assertTrue(figure("decoding_rss_vs_position").contains("process RSS (MiB)"));
    }

    @Test
    void learningCurvesListEachRunOnce() throws Exception {
        List<String> gpt = figure("gpt_curves_M");
        assertTrue(gpt.contains("GPT-J M: held-out bits per byte vs step"), gpt.toString());
        for (String v : List.of("cosine seed 1", "cosine seed 2", "softmax seed 1", "softmax seed 2")) {
            assertEquals(1, gpt.stream().filter(v::equals).count(), v + " once in the legend: " + gpt);
        }
        assertTrue(figure("gpt_curves_XS").contains("cosine seed 1"), "a swept rung's curve is its best sweep run");
        assertTrue(figure("gpt_gap_vs_size").containsAll(List.of("cosine - softmax", "gap (bits/byte)", "non-embedding parameters")));
        assertTrue(figure("gpt_lr_sweep").containsAll(List.of("XS cosine", "XS softmax", "learning rate")));
        assertTrue(figure("gpt_sigma_m").containsAll(List.of("weight decay on m (reference)", "no weight decay on m")));
        List<String> stability = figure("stability_curves");
        assertTrue(stability.containsAll(List.of("s256 lr x1 with", "s1024 lr x1 without")), stability.toString());
        List<String> bert = figure("bert_pretraining_curves");
        assertTrue(bert.containsAll(List.of("BERT pretraining: held-out masked-LM loss", "cosine", "softmax",
                "unigram (byte frequencies)", "context-free (unigram + masking rule)", "step")), bert.toString());
        for (String task : List.of("imdb", "acceptability")) {
            List<String> ft = figure("bert_finetuning_" + task);
            assertTrue(ft.containsAll(List.of("BERT fine-tuning on " + task + ": accuracy", "cosine", "softmax")),
                    ft.toString());
            assertEquals(1, ft.stream().filter("cosine"::equals).count(), "one legend entry per attention: " + ft);
        }
    }

    @Test
    void recallFiguresPerWidthAndAgainstStateBytes() throws Exception {
        for (String width : List.of("64", "128")) {
            List<String> text = figure("recall_pairs_E" + width);
            assertTrue(text.containsAll(List.of("MQAR accuracy vs key-value pairs, E = " + width, "softmax", "cosine",
                    "key-value pairs N", "test accuracy", "2", "4", "8", "16")), text.toString());
            assertEquals(1, text.stream().filter("cosine"::equals).count(), "seeds stay out of the legend: " + text);
        }
        List<String> state = figure("recall_state");
        assertTrue(state.containsAll(List.of("MQAR accuracy vs state bytes", "state bytes per sequence", "32k", "64k",
                "128k")), state.toString());
    }

    @Test
    void histogramHasIntegerCountsAFittedRangeAndTheInitialValue() throws Exception {
        List<String> text = figure("stabiliser_sigma_m");
        assertTrue(text.containsAll(List.of("Learned sigma(m) per head after training", "cosine bert", "cosine gptj",
                "initial sigma(0.5) = 0.6225", "heads (count)")), text.toString());
        List<Double> numbers = numbers(text);
        assertTrue(numbers.contains(0.6) && numbers.contains(3.0), text.toString());
        for (double v : numbers) {
            boolean count = v == Math.rint(v) && v <= 8;
            boolean sigma = v > 0.56 && v < 0.64;
            assertTrue(count || sigma, v + ": neither an integer count nor inside the data's sigma range: " + text);
        }
    }

    @Test
    void logTicksAreReadable() {
        // a wide axis: every power of two; a narrow one: every other power, still starting at the first
        assertEquals(List.of(128.0, 256.0, 512.0, 1024.0, 2048.0), Plots.logTicks(Plots.Scale.LOG2, 100, 3000,
                v -> Math.log(v) * 100, s -> 10));
        assertEquals(List.of(128.0, 512.0, 2048.0, 8192.0), Plots.logTicks(Plots.Scale.LOG2, 100, 10000,
                v -> Math.log(v) / Math.log(2) * 10, s -> 15));
        assertEquals(List.of(2.0, 5.0, 10.0, 20.0, 50.0, 100.0), Plots.logTicks(Plots.Scale.LOG10, 1.5, 150,
                v -> Math.log10(v) * 100, s -> 10));
        assertEquals(List.of(10.0, 100.0, 1000.0, 10000.0), Plots.logTicks(Plots.Scale.LOG10, 5, 20000,
                v -> Math.log10(v) * 20, s -> 10));
        List<Double> shortRange = Plots.logTicks(Plots.Scale.LOG10, 110, 190, v -> Math.log10(v) * 1000, s -> 10);
        assertTrue(shortRange.size() >= 2, shortRange.toString());
    }

    @Test
    void labelsArePlain() {
        assertEquals("128", Plots.label(128, true));
        assertEquals("2k", Plots.label(2048, true));
        assertEquals("64k", Plots.label(65536, true));
        assertEquals("1M", Plots.label(1 << 20, true));
        assertEquals("0.5", Plots.label(0.5, true));
        assertEquals("0.005", Plots.label(0.005, false));
        assertEquals("500", Plots.label(500, false));
        assertEquals("2k", Plots.label(2000, false));
        assertEquals("1.5", Plots.label(1.5, false));
        assertEquals("0", Plots.label(0, false));
    }

    @Test
    void histogramBinsFitTheData() {
        double[] bins = Plots.bins(new double[] {0.5708, 0.634, 0.6}, new double[] {0.6225});
        assertArrayEquals(new double[] {0.57, 0.635, 0.005}, bins, 1e-12);
        assertEquals(3, Plots.bins(new double[] {1, 1, 1}, new double[0]).length);
    }

    @Test
    void aFigureWithIntervalsAndGroupsDraws() throws Exception {
        List<double[]> gap = List.of(new double[] {1e5, 0.3, 0.2, 0.4}, new double[] {1e6, 0.2, 0.12, 0.28},
                new double[] {1e7, 0.1, 0.05, 0.15});
        Path png = dir.resolve("gap.png");
        Plots.figure("Held-out gap vs parameters").x("parameters", Plots.Scale.LOG10).y("gap (nats/token)", Plots.Scale.LINEAR)
                .add(Plots.series("cosine - softmax, 95 % interval", gap))
                .add(Plots.series("band", gap).band().group("b"))
                .add(Plots.series("seed 1", List.of(new double[] {1e5, 0.1}, new double[] {1e7, 0.2})).group("b").thin().unlisted())
                .write(png);
        List<String> text = figure("gap");
        assertTrue(text.containsAll(List.of("cosine - softmax, 95 % interval", "band", "100k", "1M", "10M")), text.toString());
        assertFalse(text.contains("seed 1"), "an unlisted series stays out of the legend");
    }

    /** Checks both files of a figure and returns the SVG's text elements. */
    private static List<String> figure(String name) throws Exception {
        Path png = dir.resolve(name + ".png"), svg = dir.resolve(name + ".svg");
        assertTrue(Files.size(png) > 1000, png + " is written");
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(Plots.PNG_WIDTH, image.getWidth(), png.toString());
        assertEquals(Plots.PNG_HEIGHT, image.getHeight(), png.toString());
        String doc = Files.readString(svg);
        assertTrue(doc.contains("<svg") && doc.contains("width='252.0pt'"), svg + " is a 3.5 in SVG");
        List<String> text = new ArrayList<>();
        Matcher m = Pattern.compile("<text[^>]*>([^<]*)</text>").matcher(doc);
        while (m.find()) text.add(m.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"));
        assertFalse(text.isEmpty(), svg + " has text");
        assertTrue(text.stream().noneMatch(t -> t.contains("10^") || t.contains("E+")), "no exponent labels: " + text);
        assertFalse(doc.contains("baseline-shift"), "no superscripts in " + svg);
        return text;
    }

    /** The numeric labels (tick labels), with k as a thousand or 1024 left out. */
    private static List<Double> numbers(List<String> text) {
        return text.stream().filter(t -> t.matches("-?[0-9]+(\\.[0-9]+)?")).map(Double::parseDouble).toList();
    }

    private static boolean oneTwoFive(double v) {
        double m = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
        return Math.abs(m - 1) < 1e-6 || Math.abs(m - 2) < 1e-6 || Math.abs(m - 5) < 1e-6;
    }
}
