package org.cottention.harness.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.Nd;
import org.cottention.cosine.ChunkedCausalCosineAttention;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.results.CsvTable;
import org.cottention.reference.Gradients;
import org.cottention.reference.RandomTensors;
import org.cottention.reference.ReferenceCosineAttention;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * One row per claim of the paper (paper-spec §10): the paper's evidence, ours (computed from the tables of this
 * run, or measured here), and a verdict: held, did not hold, or not testable at this scale. Written as
 * claims.csv and a README section.
 */
final class Claims {
    private Claims() {}

    record Claim(int number, String claim, String paperEvidence, String ourEvidence, String verdict) {}

    static List<Claim> evaluate(Path dir, Profile profile) throws IOException {
        List<Map<String, String>> scaling = read(dir, "attention_scaling");
        List<Map<String, String>> decoding = read(dir, "decoding");
        List<Map<String, String>> bert = read(dir, "bert"), gpt = read(dir, "gpt"), stab = read(dir, "stabiliser");
        List<Claim> out = new ArrayList<>();
        out.add(bertGap(bert));
        out.add(gptLoss(gpt));
        out.add(stabiliserAblation(gpt));
        out.add(mDecreases(stab));
        out.add(memoryLinear(scaling));
        out.add(memoryVsDim(scaling));
        out.add(timeScaling(scaling));
        out.add(constantDecoding(decoding));
        out.add(exactGradients());
        out.add(extraParameters(bert, gpt));
        out.add(new Claim(11, "Training cost: BERT ~5 days, GPT-J ~13 days on 8 A100-80GB", "paper 6",
                "a 2-core CPU cannot train these sizes", "not testable at this scale"));
        if (profile == Profile.SMOKE) {   // a few steps of toy models: the training claims are not judged
            for (int i = 0; i < 4; i++) {
                Claim c = out.get(i);
                out.set(i, new Claim(c.number(), c.claim(), c.paperEvidence(), c.ourEvidence(),
                        "not testable at this scale (smoke profile)"));
            }
        }
        return out;
    }

    static void write(Path dir, List<Claim> claims) throws IOException {
        CsvTable t = new CsvTable(List.of("claim", "statement", "paper_evidence", "our_evidence", "verdict"));
        for (Claim c : claims) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("claim", c.number());
            row.put("statement", c.claim());
            row.put("paper_evidence", c.paperEvidence());
            row.put("our_evidence", c.ourEvidence());
            row.put("verdict", c.verdict());
            t.add(row);
        }
        t.write(dir.resolve("claims.csv"));
    }

    static String markdown(List<Claim> claims) {
        StringBuilder sb = new StringBuilder("| # | claim | paper's evidence | our evidence | verdict |\n|---|---|---|---|---|\n");
        for (Claim c : claims) {
            sb.append("| ").append(c.number()).append(" | ").append(c.claim()).append(" | ").append(c.paperEvidence())
                    .append(" | ").append(c.ourEvidence()).append(" | **").append(c.verdict()).append("** |\n");
        }
        return sb.toString();
    }

    /** Two standard errors of the gap (points) above which claim 1 cannot be confirmed: 3x the paper's gap. */
    static final double MAX_NOISE_POINTS = 3.9;

    /** Claim 1: the fine-tuning accuracy gap, softmax - cosine, per task, against 1.3 points plus noise. */
    private static Claim bertGap(List<Map<String, String>> rows) {
        String claim = "Cosine BERT is within ~1.3 GLUE points of softmax BERT";
        String paper = "Table 1: 81.8 vs 83.1 average (single run, validation)";
        List<BertExperiment.Summary> sums = BertExperiment.summaries(rows);
        if (sums.isEmpty()) return new Claim(1, claim, paper, "BERT experiment not run", "not measured");
        StringBuilder ev = new StringBuilder("validation accuracy, mean over seeds, softmax vs cosine: ");
        boolean held = true, learned = true, precise = true;
        for (String task : BertExperiment.TASKS) {
            BertExperiment.Summary s = find(sums, task, "softmax"), c = find(sums, task, "cosine");
            if (s == null || c == null) return new Claim(1, claim, paper, "fine-tuning incomplete", "not measured");
            double gap = 100 * (s.stats().get("eval_accuracy")[0] - c.stats().get("eval_accuracy")[0]);
            double noise = 200 * Math.sqrt(sq(s.stats().get("eval_accuracy")[1]) / s.n() + sq(c.stats().get("eval_accuracy")[1]) / c.n());
            ev.append(String.format(Locale.ROOT, "%s %.1f vs %.1f (gap %.1f points, 2 standard errors %.1f); ", task,
                    100 * s.stats().get("eval_accuracy")[0], 100 * c.stats().get("eval_accuracy")[0], gap, noise));
            held &= gap <= 1.3 + noise;
            learned &= s.stats().get("eval_accuracy")[0] > 0.6;
            precise &= noise <= MAX_NOISE_POINTS;
        }
        ev.append("held if every gap <= 1.3 + 2 standard errors, and those are at most " + MAX_NOISE_POINTS
                + " points (3x the paper's gap; a larger seed-to-seed spread cannot confirm a 1.3-point claim)");
        String verdict = !held ? "did not hold" : !learned || !precise ? "not testable at this scale" : "held";
        if (!learned) ev.append("; softmax BERT is near chance here, so the comparison says nothing");
        else if (held && !precise) ev.append("; the spread over seeds is too large here to confirm it");
        return new Claim(1, claim, paper, ev.toString(), verdict);
    }

    private static BertExperiment.Summary find(List<BertExperiment.Summary> sums, String task, String kind) {
        return sums.stream().filter(x -> x.task().equals(task) && x.attention().equals(kind)).findFirst().orElse(null);
    }

    private static double sq(double x) {
        return x * x;
    }

    private static double gptFinal(List<Map<String, String>> rows, String variant, String column) {
        return rows.stream().filter(r -> r.get("phase").equals("final") && r.get("variant").equals(variant))
                .mapToDouble(r -> r.get(column).isEmpty() ? Double.NaN : Double.parseDouble(r.get(column)))
                .findFirst().orElse(Double.NaN);
    }

    /** Claim 2: held-out perplexity ratio cosine / softmax. */
    private static Claim gptLoss(List<Map<String, String>> rows) {
        String claim = "Cosine GPT-J reaches similar loss to softmax";
        String paper = "README PPL 11.6 vs 10.3 (300M, ratio 1.13), 9.9 vs 9.1 (1.2B, 1.09)";
        double c = gptFinal(rows, "cosine", "perplexity"), s = gptFinal(rows, "softmax", "perplexity");
        if (Double.isNaN(c) || Double.isNaN(s)) return new Claim(2, claim, paper, "GPT experiment not run", "not measured");
        double ratio = c / s;
        String ev = String.format(Locale.ROOT, "held-out perplexity cosine %.3f vs softmax %.3f: ratio %.3f (loss "
                + "%+.3f nats); held if the ratio is <= 1.15, about the paper's 300M gap", c, s, ratio, Math.log(ratio));
        return new Claim(2, claim, paper, ev, ratio <= 1.15 ? "held" : "did not hold");
    }

    /** Claim 3: the same cosine GPT without its stabiliser (sigma(m) ~ 0, divisor 1). */
    private static Claim stabiliserAblation(List<Map<String, String>> rows) {
        String claim = "Without the stabiliser cosine attention trains unstably; dividing V by s^sigma(m) fixes it";
        String paper = "argument (paper 3.3) and CHANGELOG history; no ablation figure";
        double with = gptFinal(rows, "cosine", "eval_loss"), without = gptFinal(rows, "cosine-no-stabiliser", "eval_loss");
        if (Double.isNaN(with) || Double.isNaN(without)) return new Claim(3, claim, paper, "ablation not run", "not measured");
        String ev = String.format(Locale.ROOT, "GPT-J, same seed and data: held-out loss with the stabiliser %.4f, "
                + "without (m = %.0f, divisor 1) %.4f; held if the run without it ends worse by > 1%% or diverges",
                with, GptExperiment.NO_STABILISER_M, without);
        return new Claim(3, claim, paper, ev, without > with * 1.01 ? "held" : "did not hold");
    }

    /** Claim 4: sigma(m) at the end below its initial value. */
    private static Claim mDecreases(List<Map<String, String>> rows) {
        String claim = "m (initially 0.5 for every head) decreases during training";
        String paper = "Fig. 4 histograms";
        if (rows.isEmpty()) return new Claim(4, claim, paper, "stabiliser experiment not run", "not measured");
        double initial = org.cottention.reference.StabilizerExponent.sigmoid(0.5);
        StringBuilder ev = new StringBuilder();
        boolean held = true;
        for (String model : new String[] {"bert", "gptj"}) {
            double[] s = rows.stream().filter(r -> r.get("model").equals(model)).mapToDouble(r -> Double.parseDouble(r.get("sigma_m"))).toArray();
            if (s.length == 0) continue;
            long below = java.util.Arrays.stream(s).filter(x -> x < initial).count();
            double mean = java.util.Arrays.stream(s).average().orElse(Double.NaN);
            ev.append(String.format(Locale.ROOT, "%s: %d of %d heads below %.4f, mean sigma(m) %.4f; ", model, below, s.length, initial, mean));
            held &= mean < initial && below * 2 > s.length;
        }
        ev.append("held if most heads end below the initial value");
        return new Claim(4, claim, paper, ev.toString(), held ? "held" : "did not hold");
    }

    /** Claim 10: parameter counts of the cosine and softmax models differ by exactly layers x heads. */
    private static Claim extraParameters(List<Map<String, String>> bert, List<Map<String, String>> gpt) {
        String claim = "Drop-in replacement: only the attention changes; +heads x layers parameters";
        String paper = "paper 3.3, 6 (320 extra for the 20-layer, 16-head GPT)";
        StringBuilder ev = new StringBuilder();
        boolean held = true, any = false;
        for (List<Map<String, String>> rows : List.of(bert, gpt)) {
            var c = rows.stream().filter(r -> r.get("attention").equals("cosine") && !r.get("parameters").isEmpty()
                    && !r.getOrDefault("variant", "cosine").equals("cosine-no-stabiliser")).findFirst();
            var s = rows.stream().filter(r -> r.get("attention").equals("softmax") && !r.get("parameters").isEmpty()
                    && r.get("model").equals(c.map(x -> x.get("model")).orElse(""))
                    && r.getOrDefault("phase", "").equals(c.map(x -> x.get("phase")).orElse(""))).findFirst();
            if (c.isEmpty() || s.isEmpty()) continue;
            any = true;
            long diff = Long.parseLong(c.get().get("parameters")) - Long.parseLong(s.get().get("parameters"));
            java.util.regex.Matcher mm = java.util.regex.Pattern.compile("-L(\\d+)-E\\d+-H(\\d+)").matcher(c.get().get("model"));
            long expected = mm.find() ? Long.parseLong(mm.group(1)) * Long.parseLong(mm.group(2)) : -1;
            ev.append(String.format(Locale.ROOT, "%s: cosine %s vs softmax %s parameters, +%d (layers x heads = %d); ",
                    c.get().get("model"), c.get().get("parameters"), s.get().get("parameters"), diff, expected));
            held &= diff == expected;
        }
        if (!any) return new Claim(10, claim, paper, "models not run", "not measured");
        ev.append("the models share every other line of code (one class per family, the attention plugged in)");
        return new Claim(10, claim, paper, ev.toString(), held ? "held" : "did not hold");
    }

    private static List<Map<String, String>> read(Path dir, String experiment) throws IOException {
        Path f = dir.resolve(experiment + ".csv");
        return Files.isRegularFile(f) ? Experiments.readCsv(f) : List.of();
    }

    /** Least-squares slope of log(y) against log(x). */
    static double logLogSlope(List<double[]> pts) {
        int n = pts.size();
        if (n < 2) return Double.NaN;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (double[] p : pts) {
            double x = Math.log(p[0]), y = Math.log(p[1]);
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    private static Predicate<Map<String, String>> scalingRows(String sweep, String kind, String mode, String pass) {
        return r -> r.get("sweep").equals(sweep) && r.get("attention").equals(kind) && r.get("mode").equals(mode)
                && r.get("pass").equals(pass) && r.get("status").equals("ok");
    }

    private static Claim memoryLinear(List<Map<String, String>> rows) {
        String claim = "Memory is linear in sequence length (bidirectional via Q(K^T V), causal via the kernel)";
        String paper = "Fig. 5 top-left: one layer, forward, up to 16k tokens";
        if (rows.isEmpty()) return new Claim(5, claim, paper, "attention_scaling not run", "not measured");
        StringBuilder ev = new StringBuilder("log-log slope of allocated memory vs length (forward): ");
        boolean held = true;
        for (String mode : new String[] {"bidirectional", "causal"}) {
            double cos = logLogSlope(Plots.points(rows, scalingRows("length", "cosine", mode, "forward"), "length", "alloc_mib"));
            double soft = logLogSlope(Plots.points(rows, scalingRows("length", "softmax", mode, "forward"), "length", "alloc_mib"));
            ev.append(String.format(Locale.ROOT, "%s cosine %.2f, softmax %.2f; ", mode, cos, soft));
            held &= cos < 1.15 && (Double.isNaN(soft) || soft > cos);
        }
        double maxLen = Plots.points(rows, scalingRows("length", "cosine", "causal", "forward+backward"), "length",
                "alloc_mib").stream().mapToDouble(p -> p[0]).max().orElse(0);
        ev.append(String.format(Locale.ROOT, "cosine measured up to s = %.0f", maxLen));
        return new Claim(5, claim, paper, ev.toString(), held ? "held" : "did not hold");
    }

    private static Claim memoryVsDim(List<Map<String, String>> rows) {
        String claim = "Memory against model dimension is empirically sub-quadratic";
        String paper = "Fig. 5 bottom-left (the authors expected d^2 and call it unexplained)";
        List<double[]> pts = Plots.points(rows, scalingRows("dim", "cosine", "causal", "forward"), "model_dim", "alloc_mib");
        if (pts.size() < 2) return new Claim(6, claim, paper, "dimension sweep not run", "not measured");
        double slope = logLogSlope(pts);
        double len = rows.stream().filter(r -> r.get("sweep").equals("dim")).mapToDouble(r -> Double.parseDouble(r.get("length")))
                .findFirst().orElse(0);
        String ev = String.format(Locale.ROOT, "causal cosine, forward, length %.0f, fixed heads: log-log slope %.2f "
                + "(the state is H (D/H)^2 = D^2/H, the activations s D: linear while s > D/H)", len, slope);
        return new Claim(6, claim, paper, ev, slope < 1.9 ? "held" : "did not hold");
    }

    private static Claim timeScaling(List<Map<String, String>> rows) {
        String claim = "Time O(s d^2) vs O(s^2 d): cosine faster at long lengths";
        String paper = "Fig. 5 right (unsynchronised timing): cosine faster from ~4k tokens";
        if (rows.isEmpty()) return new Claim(7, claim, paper, "attention_scaling not run", "not measured");
        List<double[]> cos = Plots.points(rows, scalingRows("length", "cosine", "causal", "forward+backward"), "length", "median_ms");
        List<double[]> soft = Plots.points(rows, scalingRows("length", "softmax", "causal", "forward+backward"), "length", "median_ms");
        double crossover = Double.NaN, ratioAtMax = Double.NaN, maxShared = 0;
        for (double[] s : soft) {
            for (double[] c : cos) {
                if (c[0] == s[0]) {
                    if (Double.isNaN(crossover) && c[1] < s[1]) crossover = c[0];
                    if (c[0] >= maxShared) {
                        maxShared = c[0];
                        ratioAtMax = s[1] / c[1];
                    }
                }
            }
        }
        String ev = String.format(Locale.ROOT, "causal forward+backward: log-log slope of time vs length cosine %.2f, "
                + "softmax %.2f; cosine faster from s = %.0f; softmax/cosine time at s = %.0f: %.1fx",
                logLogSlope(cos), logLogSlope(soft), crossover, maxShared, ratioAtMax);
        boolean held = !Double.isNaN(crossover) && ratioAtMax > 1;
        return new Claim(7, claim, paper, ev, held ? "held" : "did not hold");
    }

    private static Claim constantDecoding(List<Map<String, String>> rows) {
        String claim = "Causal cosine attention is an RNN with a d x d state: constant inference memory";
        String paper = "paper 5 derivation, Fig. 2 (no numbers)";
        List<double[]> cos = Plots.points(rows, r -> r.get("attention").equals("cosine"), "position", "state_mib");
        List<double[]> soft = Plots.points(rows, r -> r.get("attention").equals("softmax"), "position", "state_mib");
        if (cos.isEmpty()) return new Claim(8, claim, paper, "decoding not run", "not measured");
        double cosFirst = cos.get(0)[1], cosLast = cos.get(cos.size() - 1)[1];
        double softFirst = soft.isEmpty() ? Double.NaN : soft.get(0)[1], softLast = soft.isEmpty() ? Double.NaN : soft.get(soft.size() - 1)[1];
        String ev = String.format(Locale.ROOT, "state memory from position %.0f to %.0f: cosine %.3f -> %.3f MiB, "
                + "softmax KV cache %.2f -> %.2f MiB", cos.get(0)[0], cos.get(cos.size() - 1)[0], cosFirst, cosLast,
                softFirst, softLast);
        return new Claim(8, claim, paper, ev, cosLast == cosFirst && softLast > softFirst ? "held" : "did not hold");
    }

    /** Measured here: the chunked kernel against the double-precision reference, forward and all gradients. */
    private static Claim exactGradients() {
        String claim = "The kernel computes forward and all gradients exactly; gradients are three forward-type passes";
        String paper = "paper 4 (algebra verified in paper-spec)";
        Random rng = new Random(10);
        double worst = 0;
        int cases = 0;
        for (int s : new int[] {1, 37, 130}) {
            for (int d : new int[] {7, 64}) {
                double[][][][] q = RandomTensors.normal(rng, 2, 2, s, d), k = RandomTensors.normal(rng, 2, 2, s, d);
                double[][][][] v = RandomTensors.normal(rng, 2, 2, s, d), g = RandomTensors.normal(rng, 2, 2, s, d);
                double[][] mask = RandomTensors.rightPadded(rng, 2, s);
                double[] m = RandomTensors.stabilizer(rng, 2);
                Attention att = AttentionRegistry.find(ChunkedCausalCosineAttention.NAME).orElseThrow().create(true, 16);
                var in = new AttentionInput(Nd.fromArray4(q, DataType.DOUBLE), Nd.fromArray4(k, DataType.DOUBLE),
                        Nd.fromArray4(v, DataType.DOUBLE), Nd.fromArray2(mask, DataType.DOUBLE), Nd.fromDoubles(m, DataType.DOUBLE, 2));
                var f = att.forward(in);
                AttentionGradients gr = att.backward(f, Nd.fromArray4(g, DataType.DOUBLE));
                Gradients ref = ReferenceCosineAttention.backward(true, q, k, v, mask, m, g);
                worst = Math.max(worst, RandomTensors.relativeError(Nd.toArray4(f.output()),
                        ReferenceCosineAttention.forward(true, q, k, v, mask, m)));
                worst = Math.max(worst, RandomTensors.relativeError(Nd.toArray4(gr.dq()), ref.dq()));
                worst = Math.max(worst, RandomTensors.relativeError(Nd.toArray4(gr.dk()), ref.dk()));
                worst = Math.max(worst, RandomTensors.relativeError(Nd.toArray4(gr.dv()), ref.dv()));
                worst = Math.max(worst, RandomTensors.relativeError(Nd.toDoubles(gr.dm()), ref.dm()));
                cases++;
            }
        }
        String ev = String.format(Locale.ROOT, "our chunked kernel vs the float64 reference (itself checked by finite "
                + "differences), %d cases with padding, s not a multiple of C, d = 7 and 64: worst relative error "
                + "%.1e over output, dq, dk, dv, dm (the CUDA kernel: checked the same way by scripts/gpu-check.sh on a "
                + "GPU, %s)", cases, worst, Files.isDirectory(Path.of("results", "gpu"))
                ? "see results/gpu" : "not yet run on one");
        return new Claim(9, claim, paper, ev, worst < 1e-10 ? "held" : "did not hold");
    }
}
