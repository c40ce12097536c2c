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
        t.put("bert", bert());
        t.put("gpt", gpt());
        t.put("stability", stability());
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

    /**
     * A GPT ladder: rungs XS (swept at two learning rates), S and M (ladder runs, two seeds), the two arms at XS;
     * every run a curve of 20 steps (held-out every 5) and its final row. Cosine is 0.05 bits/byte behind at XS,
     * less at each larger rung.
     */
    static List<Map<String, String>> gpt() {
        List<Map<String, String>> rows = new ArrayList<>();
        String[][] rungs = {{"XS", "49152", "gptj-L1-E64-H1"}, {"S", "98304", "gptj-L2-E64-H1"}, {"M", "196608", "gptj-L1-E128-H2"}};
        for (int i = 0; i < rungs.length; i++) {
            for (String kind : new String[] {"cosine", "softmax"}) {
                double base = 4.5 - 0.3 * i + (kind.equals("cosine") ? 0.05 / (i + 1) : 0);
                if (i == 0) {
                    for (double lr : new double[] {3e-3, 3e-2}) gptRun(rows, "sweep", "baseline", rungs[i], kind, 1, lr, base + (lr < 1e-2 ? 0.4 : 0));
                } else {
                    for (int seed = 1; seed <= 2; seed++) gptRun(rows, "ladder", "baseline", rungs[i], kind, seed, 3e-2, base + 0.01 * seed);
                }
            }
        }
        gptRun(rows, "arm", "reference-init", rungs[0], "cosine", 1, 3e-2, 4.6);
        gptRun(rows, "arm", "m-no-decay", rungs[0], "cosine", 1, 3e-2, 4.55);
        return rows;
    }

    private static void gptRun(List<Map<String, String>> rows, String role, String arm, String[] rung, String kind, int seed,
                               double lr, double bitsPerByte) {
        String config = role.equals("sweep") ? "sweep-" + rung[0] + "-" + kind + "-lr" + lr : role + "-" + arm + "-" + rung[0] + "-" + kind + "-seed" + seed;
        Object[] common = {"config", config, "role", role, "arm", arm, "rung", rung[0], "attention", kind, "seed", seed, "lr", lr,
            "model", rung[2], "shape", rung[2] + " s64", "non_embedding_parameters", rung[1], "parameters", Long.parseLong(rung[1]) + 20000,
            "tokens_per_parameter", 0.03, "status", "ok"};
        for (int step = 1; step <= 20; step++) {
            double bpb = bitsPerByte + 3 * Math.exp(-step / 5.0);
            rows.add(row("gpt", concat(common, "phase", "curve", "step", step, "train_loss", bpb * Math.log(2),
                    "grad_norm", 1.0, "val_bits_per_byte", step % 5 == 0 ? bpb : "", "val_loss", step % 5 == 0 ? bpb * Math.log(2) : "",
                    "sigma_m_mean", kind.equals("cosine") ? 0.6225 - step * (arm.equals("m-no-decay") ? 0.0005 : 0.001) : "",
                    "sigma_m_min", kind.equals("cosine") ? 0.60 - step * 0.001 : "", "sigma_m_max", kind.equals("cosine") ? 0.64 : "")));
        }
        rows.add(row("gpt", concat(common, "phase", "final", "step", 20, "train_loss", bitsPerByte * Math.log(2), "grad_norm", 1.0,
                "val_loss", bitsPerByte * Math.log(2), "val_bits_per_byte", bitsPerByte, "test_loss", (bitsPerByte + 0.01) * Math.log(2),
                "test_bits_per_byte", bitsPerByte + 0.01, "tokens_per_s", 1500, "mfu", 0.3, "wall_s", 4)));
    }

    private static Object[] concat(Object[] a, Object... b) {
        Object[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The stability ablation: two lengths, with and without the stabiliser, one seed; without diverges at s 1024. */
    static List<Map<String, String>> stability() {
        List<Map<String, String>> rows = new ArrayList<>();
        for (int seq : new int[] {256, 1024}) {
            for (String arm : new String[] {"with", "without"}) {
                boolean diverges = arm.equals("without") && seq == 1024;
                String status = diverges ? "diverged: training loss above the first step's at step 12" : "ok";
                Object[] common = {"config", "s" + seq + "-lrx1-seed1-" + arm, "seq", seq, "lr", 0.03, "lr_factor", 1.0, "seed", 1,
                    "stabiliser", arm, "attention", "cosine", "status", status};
                for (int step = 1; step <= (diverges ? 12 : 20); step++) {
                    double loss = diverges && step > 6 ? 3 + step : 3 + 2 * Math.exp(-step / 5.0);
                    rows.add(row("stability", concat(common, "phase", "curve", "step", step, "train_loss", loss, "grad_norm", 1,
                            "sigma_m_mean", arm.equals("with") ? 0.62 : 1e-13)));
                }
                rows.add(row("stability", concat(common, "phase", "final", "step", diverges ? 12 : 20, "train_loss", 3.1,
                        "grad_norm", 1, "val_loss", diverges ? "" : 3.2, "sigma_m_mean", 0.62, "diverged_step", diverges ? 12 : "",
                        "tokens_per_s", 1000, "wall_s", 3)));
            }
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

    /** BERT: the unigram row, pretraining curves of two seeds per attention, fine-tuning curves of both tasks. */
    static List<Map<String, String>> bert() {
        List<Map<String, String>> rows = new ArrayList<>();
        rows.add(row("bert", "phase", "unigram", "arm", "unigram", "attention", "none", "task", "mlm", "status", "ok",
                "model", BertExperiment.UNIGRAM, "eval_loss", 3.10, "eval_accuracy", 0.174));
        rows.add(row("bert", "phase", "unigram", "arm", "unigram", "attention", "none", "task", "mlm", "status", "ok",
                "model", BertExperiment.CONTEXT_FREE, "eval_loss", 2.9, "eval_accuracy", 0.23));
        for (String kind : new String[] {"cosine", "softmax"}) {
            for (int p = 1; p <= 2; p++) {
                for (int step = 150; step <= 1500; step += 150) {
                    double loss = 1.9 + (kind.equals("cosine") ? 0.05 : 0) + 0.02 * p + 1.2 * Math.exp(-step / 300.0);
                    rows.add(row("bert", "phase", "pretrain-curve", "arm", "fair", "attention", kind, "task", "mlm",
                            "status", "ok", "pretrain_seed", p, "step", step, "train_loss", loss - 0.02, "eval_loss", loss,
                            "eval_accuracy", 0.5));
                }
                for (String task : new String[] {"imdb", "acceptability"}) {
                    for (int f = 1; f <= 2; f++) {
                        for (int step = 50; step <= 400; step += 50) {
                            rows.add(row("bert", "phase", "finetune-curve", "arm", "fair", "attention", kind, "task", task,
                                    "status", "ok", "pretrain_seed", p, "finetune_seed", f, "step", step,
                                    "eval_loss", 0.6, "eval_accuracy", 0.6 + 0.1 * (1 - Math.exp(-step / 100.0)) + 0.01 * f));
                        }
                    }
                }
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
