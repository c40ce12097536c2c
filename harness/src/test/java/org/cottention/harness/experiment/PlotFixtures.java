package org.cottention.harness.experiment;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Small tables with the columns and kinds of values the experiments write (a few configurations each), for the
 * figure tests; the numbers follow the shapes of the committed default run.
 */
public final class PlotFixtures {
    private PlotFixtures() {}

    /** Experiment name -> rows. */
    public static Map<String, List<Map<String, String>>> tables() {
        Map<String, List<Map<String, String>>> t = new LinkedHashMap<>();
        t.put("attention_scaling", scaling());
        t.put("decoding", decoding());
        t.put("bert", List.of(row("bert", "phase", "pretrain", "attention", "cosine", "status", "ok")));
        t.put("gpt", gpt());
        t.put("stabiliser", stabiliser());
        t.put("recall", recall());
        return t;
    }

    static List<Map<String, String>> scaling() {
        List<Map<String, String>> rows = new ArrayList<>();
        for (String kind : new String[] {"cosine", "softmax"}) {
            for (String mode : new String[] {"bidirectional", "causal"}) {
                for (String pass : new String[] {"forward", "forward+backward"}) {
                    double f = pass.equals("forward") ? 1 : 2.5;
                    for (int s : new int[] {128, 512, 2048, 8192, 32768}) {
                        if (kind.equals("softmax") && s > 8192) continue;
                        double alloc = kind.equals("cosine") ? s * 0.017 : s * (double) s * 6.1e-5;
                        rows.add(scaling(kind, mode, pass, "length", s, 1024, 16, f * s * 0.03, f * alloc));
                    }
                    for (int d : new int[] {256, 1024, 4096}) rows.add(scaling(kind, mode, pass, "dim", 1024, d, 16, f * d * 0.02, f * d * 0.03));
                    for (int h : new int[] {1, 4, 16, 64}) rows.add(scaling(kind, mode, pass, "heads", 1024, 1024, h, f * (20 + h), f * (8 + h)));
                }
            }
        }
        return rows;
    }

    private static Map<String, String> scaling(String kind, String mode, String pass, String sweep, int s, int d, int h,
                                               double ms, double mib) {
        return row("attention_scaling", "attention", kind, "mode", mode, "pass", pass, "sweep", sweep, "length", s,
                "model_dim", d, "heads", h, "head_dim", d / h, "status", "ok", "median_ms", ms, "min_ms", ms * 0.9,
                "max_ms", ms * 1.2, "alloc_mib", mib, "peak_rss_mib", 110 + mib, "shape", "N=1 H=" + h + " s=" + s);
    }

    static List<Map<String, String>> decoding() {
        List<Map<String, String>> rows = new ArrayList<>();
        for (String kind : new String[] {"cosine", "softmax"}) {
            for (int p = 1024; p <= 32768; p += 1024) {
                rows.add(row("decoding", "attention", kind, "position", p, "shape", "N=1 H=16 d=64", "status", "ok",
                        "state_mib", kind.equals("cosine") ? 0.5 : p / 64.0, "step_ms_median", kind.equals("cosine")
                        ? 0.8 : p / 1100.0, "rss_mib", 420 + (kind.equals("cosine") ? 0 : p / 64.0)));
            }
        }
        return rows;
    }

    static List<Map<String, String>> gpt() {
        List<Map<String, String>> rows = new ArrayList<>();
        String[] variants = {"softmax", "cosine", "cosine-no-stabiliser"};
        for (int v = 0; v < variants.length; v++) {
            for (int step = 1; step <= 100; step++) {
                double loss = 2 + v * 0.2 + 3.5 * Math.exp(-step / 15.0);
                rows.add(row("gpt", "variant", variants[v], "phase", "curve", "step", step, "train_loss", loss,
                        "eval_loss", step % 20 == 0 ? loss + 0.1 : "", "model", "gptj-L4-E128-H2", "shape", "L4 E128 H2",
                        "status", "ok", "attention", variants[v].startsWith("cosine") ? "cosine" : "softmax"));
            }
            rows.add(row("gpt", "variant", variants[v], "phase", "final", "step", 100, "train_loss", 2 + v * 0.2,
                    "eval_loss", 2.1 + v * 0.2, "model", "gptj-L4-E128-H2", "shape", "L4 E128 H2", "status", "ok",
                    "attention", variants[v].startsWith("cosine") ? "cosine" : "softmax"));
        }
        return rows;
    }

    static List<Map<String, String>> stabiliser() {
        List<Map<String, String>> rows = new ArrayList<>();
        double[][] sigma = {{0.6231, 0.6258, 0.6268, 0.6247, 0.6235, 0.6283, 0.6340, 0.6273},
            {0.5996, 0.5882, 0.6046, 0.5708, 0.5889, 0.6118, 0.6164, 0.6008}};
        String[] models = {"bert", "gptj"};
        for (int m = 0; m < 2; m++) {
            for (int i = 0; i < sigma[m].length; i++) {
                rows.add(row("stabiliser", "model", models[m], "attention", "cosine", "status", "ok", "layer", i / 2,
                        "head", i % 2, "sigma_m", sigma[m][i], "initial_sigma_m", 0.622459));
            }
        }
        return rows;
    }

    /**
     * The recall sweep (seed 1 at three rates) and a second seed at the best rate, per attention and width, with the
     * accuracies of the probes in docs/recall.md: softmax ~1.0 at every N, cosine falling at N = 16.
     */
    static List<Map<String, String>> recall() {
        List<Map<String, String>> rows = new ArrayList<>();
        int[] pairs = {2, 4, 8, 16};
        for (int width : new int[] {64, 128}) {
            for (String kind : new String[] {"cosine", "softmax"}) {
                double[] good = kind.equals("softmax") ? new double[] {1, 1, 1, 1}
                        : width == 64 ? new double[] {0.91, 0.98, 0.91, 0.63} : new double[] {0.9, 0.99, 0.95, 0.73};
                for (String lr : new String[] {"5e-4", "1e-3", "2e-3", "seed2"}) {
                    for (int i = 0; i < pairs.length; i++) {
                        boolean best = lr.equals("1e-3") || lr.equals("seed2");
                        double acc = best ? good[i] - (lr.equals("seed2") ? 0.05 * i / 3 : 0) : 0.9 / pairs[i];
                        rows.add(row("recall", "attention", kind, "status", "ok", "role", lr.equals("seed2") ? "replicate"
                                : "sweep", "seed", lr.equals("seed2") ? 2 : 1, "lr", lr.equals("seed2") ? "1e-3" : lr,
                                "width", width, "heads", width / 64, "head_dim", 64, "layers", 2, "seq_len", 64, "vocab", 128,
                                "pairs", pairs[i], "steps", 1000, "batch", 32, "valid_accuracy", acc, "test_accuracy", acc,
                                "state_bytes", kind.equals("cosine") ? 2 * (width / 64) * 64 * 64 * 4 : 2 * 2 * 64 * width * 4,
                                "step_cpu_ms", width == 64 ? 33.0 : 66.0, "train_cpu_s", width == 64 ? 33.0 : 66.0));
                    }
                }
            }
        }
        return rows;
    }

    /** BERT's pretraining curves where its report reads them: DIR/.runs/bert/work/RUN/curve.csv. */
    public static void bertCurves(Path dir) throws IOException {
        for (String run : new String[] {"pretrain-cosine", "pretrain-softmax"}) {
            List<Map<String, String>> rows = new ArrayList<>();
            for (int step = 1; step <= 60; step++) {
                double loss = 7 + (run.contains("cosine") ? 0.1 : 0) + 3 * Math.exp(-step / 10.0);
                rows.add(row(null, "step", step, "train_loss", loss + 0.7, "train_main_loss", loss, "eval_loss", step % 10 == 0 ? loss + 0.05 : ""));
            }
            write(dir.resolve(".runs/bert/work").resolve(run).resolve("curve.csv"), rows);
        }
    }

    /** Writes rows as a CSV table with the union of their columns. */
    public static void write(Path file, List<Map<String, String>> rows) throws IOException {
        Set<String> header = new LinkedHashSet<>();
        rows.forEach(r -> header.addAll(r.keySet()));
        Files.createDirectories(file.getParent());
        try (Writer w = Files.newBufferedWriter(file);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new)).get())) {
            for (Map<String, String> r : rows) {
                List<String> cells = new ArrayList<>();
                for (String h : header) cells.add(r.getOrDefault(h, ""));
                p.printRecord(cells);
            }
        }
    }

    /** A row from name, value pairs (numbers as the tables print them), with the experiment's every column. */
    private static Map<String, String> row(String experiment, Object... kv) {
        Map<String, String> r = new LinkedHashMap<>();
        if (experiment != null) {
            Experiment e = Experiments.find(experiment).orElseThrow();
            for (String c : Experiments.columns(e)) r.put(c, "");
            r.put("experiment", experiment);
        }
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            r.put((String) kv[i], v instanceof Double d ? String.format(Locale.ROOT, "%.6g", d) : String.valueOf(v));
        }
        return r;
    }
}
