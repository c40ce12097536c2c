package org.cottention.harness.experiment;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cottention.api.Attention;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionKind;
import org.cottention.api.AttentionShape;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.results.Column;
import org.cottention.harness.train.MemoryBudget;
import org.cottention.kernels.AllocationRecorder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Paper Fig. 5, measured properly: one attention layer's time and memory, softmax against cosine, bidirectional
 * and causal, forward and forward + backward, against sequence length, model dimension and heads (batch 1,
 * float32, the inputs q, k, v given). Time: median of n timed runs after one warm-up, with min and max. Memory:
 * the bytes the operation allocated (recorded by a workspace; the inputs excluded) and the process's peak RSS
 * (VmHWM), each configuration in its own JVM. A configuration whose estimated memory exceeds what the machine
 * has available is recorded as skipped, with the estimate, instead of being run.
 */
public final class AttentionScalingExperiment implements Experiment {

    /** Its rows are timings: under --jobs N it still runs alone, with every thread. */
    @Override
    public boolean runsAlone() {
        return true;
    }

    @Override
    public String name() {
        return "attention_scaling";
    }

    @Override
    public String description() {
        return "one attention layer: time and memory against length, model dimension and heads (paper Fig. 5)";
    }

    @Override
    public boolean skipsWhatDoesNotFit() {
        return true;
    }

    @Override
    public List<Column> columns() {
        return List.of(Column.oneOf("sweep", "length", "dim", "heads").always(),
                Column.oneOf("mode", "bidirectional", "causal").always(),
                Column.oneOf("pass", "forward", "forward+backward").always(),
                Column.integer("length").positive().always(), Column.integer("model_dim").positive().always(),
                Column.integer("heads").positive().always(), Column.integer("head_dim").positive().always(),
                Column.integer("runs").positive().required().varies(),   // fewer runs for slow configurations
                Column.number("median_ms").positive().required().varies(),
                Column.number("min_ms").positive().required().varies(),
                Column.number("max_ms").positive().required().varies(),
                Column.number("alloc_mib").positive().required(),
                Column.number("peak_rss_mib").positive().required().varies(),
                Column.number("baseline_rss_mib").positive().required().varies(),
                Column.number("estimated_mib").positive().always());
    }

    /**
     * Working set: the layer's buffers ({@link #estimatedMiB}). FLOPs per pass: softmax 4 s^2 D (Q K^T and P V),
     * cosine 4 s D d (K^T V and Q (K^T V)), causal cosine 4 s D (d + 64) (the chunks of 64); the backward pass
     * twice the forward; times the most timed runs the profile allows, plus the warm-up.
     */
    @Override
    public Resources resources(RunConfig c, Profile profile) {
        String kind = c.get("kind");
        boolean backward = c.get("pass").equals("forward+backward"), causal = c.get("mode").equals("causal");
        double s = c.getInt("length"), dim = c.getInt("dim"), d = dim / c.getInt("heads");
        double pass = kind.equals("softmax") ? 4 * s * s * dim : 4 * s * dim * (d + (causal ? 64 : 0));
        double flops = pass * (backward ? 3 : 1) * (sweeps(profile).maxRuns() + 1);
        Attention attention = AttentionRegistry.defaultFor(AttentionKind.valueOf(kind.toUpperCase(Locale.ROOT)), causal)
                .create(causal, 64);
        return Resources.estimate(Resources.JVM_MIB,
                estimatedMiB(attention, backward, (long) s, (long) dim, c.getInt("heads")) * 1024 * 1024, flops);
    }

    /** The sweeps of a profile: lengths at (dim, heads); dims at (length, heads); heads at (length, dim). */
    record Sweeps(int dim, int heads, List<Integer> lengths, int cosineMaxExtra, int fixedLength,
                  List<Integer> dims, int headsDim, List<Integer> headCounts, int maxRuns) {}

    static Sweeps sweeps(Profile p) {
        return switch (p) {
            case SMOKE -> new Sweeps(128, 4, List.of(128, 512), 0, 256, List.of(64, 256), 256, List.of(1, 4), 2);
            case DEFAULT, LONG -> new Sweeps(1024, 16, List.of(128, 512, 2048, 8192, 16384), 65536, 1024,
                    List.of(256, 1024, 4096), 1024, List.of(1, 4, 16, 64), 5);
            case PAPER -> new Sweeps(2048, 16, List.of(128, 256, 512, 1024, 2048, 4096, 8192, 16384), 65536, 1024,
                    List.of(1024, 2048, 4096, 8192, 16384), 4096, List.of(1, 2, 4, 8, 16, 32, 64), 10);
        };
    }

    @Override
    public List<RunConfig> configs(Profile profile) {
        Sweeps sw = sweeps(profile);
        List<RunConfig> out = new ArrayList<>();
        for (String kind : new String[] {"cosine", "softmax"}) {
            for (String mode : new String[] {"bidirectional", "causal"}) {
                for (String pass : new String[] {"forward", "forward+backward"}) {
                    List<Integer> lengths = new ArrayList<>(sw.lengths());
                    if (kind.equals("cosine") && sw.cosineMaxExtra() > 0) lengths.add(sw.cosineMaxExtra());
                    for (int s : lengths) out.add(config("length", kind, mode, pass, s, sw.dim(), sw.heads()));
                    for (int dim : sw.dims()) out.add(config("dim", kind, mode, pass, sw.fixedLength(), dim, sw.heads()));
                    for (int h : sw.headCounts()) out.add(config("heads", kind, mode, pass, sw.fixedLength(), sw.headsDim(), h));
                }
            }
        }
        return out;
    }

    private static RunConfig config(String sweep, String kind, String mode, String pass, int length, int dim, int heads) {
        String key = String.format("%s-%s-%s-%s-s%d-D%d-h%d", sweep, kind, mode, pass.equals("forward") ? "fwd" : "fwdbwd",
                length, dim, heads);
        Map<String, String> p = new LinkedHashMap<>();
        p.put("sweep", sweep);
        p.put("kind", kind);
        p.put("mode", mode);
        p.put("pass", pass);
        p.put("length", Integer.toString(length));
        p.put("dim", Integer.toString(dim));
        p.put("heads", Integer.toString(heads));
        return new RunConfig(key, p);
    }

    /** MiB the inputs (q, k, v, and dL/dO with backward) and the operation need: the attention's own estimate. */
    static double estimatedMiB(Attention attention, boolean backward, long s, long dim, long heads) {
        AttentionShape shape = new AttentionShape(1, heads, s, dim / heads, dim / heads, DataType.FLOAT);
        long gradient = backward ? shape.bytes(heads, s, dim / heads) : 0;
        long bytes = AttentionShape.sum(shape.inputBytes(), gradient, attention.workingBytes(shape, backward));
        return bytes / (1024.0 * 1024);
    }

    @Override
    public List<Map<String, Object>> run(RunConfig c, Profile profile, Path out, PrintStream log) {
        String kind = c.get("kind"), mode = c.get("mode"), pass = c.get("pass");
        int s = c.getInt("length"), dim = c.getInt("dim"), heads = c.getInt("heads"), d = dim / heads;
        boolean causal = mode.equals("causal"), backward = pass.equals("forward+backward");
        AttentionRegistry.Entry entry = AttentionRegistry.defaultFor(AttentionKind.valueOf(kind.toUpperCase()), causal);
        Attention attention = entry.create(causal, 64);
        double estimate = estimatedMiB(attention, backward, s, dim, heads);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("model", "attention-layer");
        row.put("attention", kind);
        row.put("implementation", entry.name());
        row.put("shape", String.format("N=1 H=%d s=%d d=%d", heads, s, d));
        row.put("dtype", "float32");
        row.put("seed", 1);
        row.put("sweep", c.get("sweep"));
        row.put("mode", mode);
        row.put("pass", pass);
        row.put("length", s);
        row.put("model_dim", dim);
        row.put("heads", heads);
        row.put("head_dim", d);
        row.put("estimated_mib", estimate);
        // The recording workspace reserves OVERALLOCATION beyond what the operation allocates: the process needs it
        // too (softmax at s = 16384 allocates 16.1 GiB and peaked at 23.3 GiB of RSS: killed for memory at 24 GiB).
        double needed = estimate * (1 + AllocationRecorder.OVERALLOCATION);
        if (!MemoryBudget.fits((long) (needed * 1024 * 1024))) {
            row.put("status", String.format("skipped: needs about %.1f GiB, %.1f GiB available", needed / 1024,
                    MemoryBudget.availableBytes() / (1024.0 * 1024 * 1024)));
            log.println(c.key() + ": " + row.get("status"));
            return List.of(row);
        }
        Nd4j.getRandom().setSeed(1);
        INDArray q = Nd4j.randn(DataType.FLOAT, 1, heads, s, d), k = Nd4j.randn(DataType.FLOAT, 1, heads, s, d);
        INDArray v = Nd4j.randn(DataType.FLOAT, 1, heads, s, d);
        INDArray g = backward ? Nd4j.randn(DataType.FLOAT, 1, heads, s, d) : null;
        AttentionInput in = new AttentionInput(q, k, v, null, null);
        double baseline = Memory.rssMiB();
        AllocationRecorder workspace = new AllocationRecorder("scaling");
        double first = once(attention, in, g, workspace);  // warm-up, and the size of one run
        int runs = first > 20_000 ? 2 : first > 2_000 ? 3 : sweeps(profile).maxRuns();
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) ms[i] = once(attention, in, g, workspace);
        Arrays.sort(ms);
        row.put("runs", runs);
        row.put("median_ms", runs % 2 == 1 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2);
        row.put("min_ms", ms[0]);
        row.put("max_ms", ms[runs - 1]);
        row.put("alloc_mib", workspace.totalBytes() / (1024.0 * 1024));
        row.put("peak_rss_mib", Memory.peakRssMiB());
        row.put("baseline_rss_mib", baseline);
        row.put("status", "ok");
        workspace.destroyWorkspace(true);
        log.printf("%s: median %.2f ms (min %.2f, max %.2f, %d runs), allocated %.1f MiB, peak RSS %.0f MiB%n",
                c.key(), (double) row.get("median_ms"), ms[0], ms[runs - 1], runs, (double) row.get("alloc_mib"),
                (double) row.get("peak_rss_mib"));
        return List.of(row);
    }

    /** One forward (+ backward) inside the recording workspace; milliseconds. */
    private static double once(Attention attention, AttentionInput in, INDArray g, AllocationRecorder workspace) {
        long t0 = System.nanoTime();
        try (AllocationRecorder ws = workspace.open()) {
            Attention.Forward f = attention.forward(in);
            if (g != null) attention.backward(f, g);
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    @Override
    public void report(Profile profile, Path results, Path into, List<Map<String, String>> rows) throws Exception {
        Plots.scaling(into, rows);
    }

    @Override
    public String markdown(Profile profile, List<Map<String, String>> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("Time is the median of the timed runs (min-max in brackets); memory is what the operation ")
                .append("allocated (inputs excluded) and the JVM's peak RSS (which includes the JVM and ND4J, ")
                .append("see `baseline_rss_mib`).\n\n");
        for (String sweep : new String[] {"length", "dim", "heads"}) {
            List<Map<String, String>> sel = rows.stream().filter(r -> r.get("sweep").equals(sweep)).toList();
            if (sel.isEmpty()) continue;
            sb.append("### Against ").append(sweep.equals("dim") ? "model dimension" : sweep).append("\n\n");
            sb.append(Markdown.table(List.of("attention", "mode", "pass", "length", "model dim", "heads",
                    "time ms", "allocated MiB", "peak RSS MiB", "status"), sel, List.of(Markdown.col("attention"),
                    Markdown.col("mode"), Markdown.col("pass"), Markdown.col("length"), Markdown.col("model_dim"),
                    Markdown.col("heads"), r -> r.get("median_ms").isEmpty() ? "" : Markdown.number(r.get("median_ms"))
                            + " (" + Markdown.number(r.get("min_ms")) + "-" + Markdown.number(r.get("max_ms")) + ")",
                    Markdown.num("alloc_mib"), Markdown.num("peak_rss_mib"), Markdown.col("status"))));
            sb.append('\n');
            for (String pass : new String[] {"fwd", "fwdbwd"}) {
                for (String metric : new String[] {"time", "memory"}) {
                    String f = "attention_scaling_" + metric + "_vs_" + sweep + "_" + pass + ".png";
                    sb.append(Markdown.image(f, metric + " vs " + sweep + ", " + pass));
                }
            }
            sb.append('\n');
        }
        sb.append(paperComparison(rows));
        return sb.toString();
    }

    /**
     * The paper's Fig. 5 memory values (read off the plot; dim 2048, 16 heads, forward, GPU) beside ours, as the
     * softmax / cosine ratio, which is comparable across shapes where the absolute numbers are not.
     */
    static String paperComparison(List<Map<String, String>> rows) {
        StringBuilder sb = new StringBuilder("### Beside the paper (Fig. 5, memory against length)\n\n");
        sb.append("Paper: one layer, dim 2048, 16 heads, forward, GPU peak allocated (approximate, read off the plot). ")
                .append("Ours: forward, bytes allocated by the operation, the model dimension of this profile. ")
                .append("The ratio softmax / causal cosine is the comparable figure.\n\n");
        sb.append("| length | paper softmax GB | paper cosine causal GB | paper ratio | our softmax MiB | our cosine causal MiB | our ratio |\n");
        sb.append("|---|---|---|---|---|---|---|\n");
        for (int s : new int[] {4096, 8192, 16384}) {
            String model = "attention-layer-dim2048-h16-len" + s;
            double ps = org.cottention.reference.PaperResults.find("memory", model, "softmax", "peak-memory")
                    .map(org.cottention.reference.PaperResults.Entry::value).orElse(Double.NaN);
            double pc = org.cottention.reference.PaperResults.find("memory", model, "cosine-causal", "peak-memory")
                    .map(org.cottention.reference.PaperResults.Entry::value).orElse(Double.NaN);
            double os = ours(rows, "softmax", s), oc = ours(rows, "cosine", s);
            sb.append("| ").append(s).append(" | ").append(Markdown.number(ps)).append(" | ").append(Markdown.number(pc))
                    .append(" | ").append(Markdown.number(ps / pc)).append(" | ")
                    .append(Double.isNaN(os) ? "not run" : Markdown.number(os)).append(" | ").append(Markdown.number(oc))
                    .append(" | ").append(Double.isNaN(os) ? "" : Markdown.number(os / oc)).append(" |\n");
        }
        return sb.append('\n').toString();
    }

    private static double ours(List<Map<String, String>> rows, String kind, int length) {
        return rows.stream().filter(r -> r.get("sweep").equals("length") && r.get("attention").equals(kind)
                        && r.get("mode").equals("causal") && r.get("pass").equals("forward")
                        && r.get("length").equals(Integer.toString(length)) && r.get("status").equals("ok"))
                .mapToDouble(r -> Double.parseDouble(r.get("alloc_mib"))).findFirst().orElse(Double.NaN);
    }

    /** Rows of one sweep, attention, mode and pass that ran. */
    private static java.util.function.Predicate<Map<String, String>> sweepRows(String sweep, String kind, String mode,
                                                                              String pass) {
        return r -> r.get("sweep").equals(sweep) && r.get("attention").equals(kind) && r.get("mode").equals(mode)
                && r.get("pass").equals(pass) && r.get("status").equals("ok");
    }

    /** The least-squares slope of log(y) on log(x), with its interval (the fit's residuals over the points). */
    static Stats.Interval logLogSlope(List<double[]> pts) {
        double[] x = new double[pts.size()], y = new double[pts.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.log(pts.get(i)[0]);
            y[i] = Math.log(pts.get(i)[1]);
        }
        return Stats.slope(x, y);
    }

    /** The paper's crossover: below ~4k tokens softmax is as fast as cosine or faster (paper-spec §9.4). */
    static final int CROSSOVER_LENGTH = 4096;

    @Override
    public List<Claim> claims(Profile profile, Map<String, List<Map<String, String>>> tables) {
        List<Map<String, String>> rows = tables.getOrDefault(name(), List.of());
        return List.of(memoryLinear(rows), memoryVsDim(rows), timeScaling(rows));
    }

    /** Claim 5: the log-log slope of allocated memory against length, cosine (both modes) below 1.15. */
    static Claim memoryLinear(List<Map<String, String>> rows) {
        String claim = "Memory is linear in sequence length (bidirectional via Q(K^T V), causal via the kernel)";
        String paper = "Fig. 5 top-left: one layer, forward, up to 16k tokens";
        if (rows.isEmpty()) return Claim.notMeasured("5", claim, paper, "attention_scaling not run");
        StringBuilder ev = new StringBuilder("log-log slope of allocated memory vs length (forward), cosine [95 % fit "
                + "interval] vs softmax: ");
        Stats.Interval causal = null;
        boolean held = true;
        for (String mode : new String[] {"bidirectional", "causal"}) {
            Stats.Interval cos = logLogSlope(Plots.points(rows, sweepRows("length", "cosine", mode, "forward"), "length", "alloc_mib"));
            Stats.Interval soft = logLogSlope(Plots.points(rows, sweepRows("length", "softmax", mode, "forward"), "length", "alloc_mib"));
            ev.append(mode).append(' ').append(Verdict.describe(cos, "%.2f")).append(String.format(Locale.ROOT,
                    " vs %.2f; ", soft.estimate()));
            held &= cos.estimate() < 1.15 && (Double.isNaN(soft.estimate()) || soft.estimate() > cos.estimate());
            if (mode.equals("causal")) causal = cos;
        }
        double maxLen = Plots.points(rows, sweepRows("length", "cosine", "causal", "forward"), "length", "alloc_mib")
                .stream().mapToDouble(p -> p[0]).max().orElse(0);
        ev.append(String.format(Locale.ROOT, "cosine measured up to s = %.0f", maxLen));
        return Claim.of("5", claim, paper, "log-log slope of allocated bytes vs length, cosine causal (held: both "
                + "modes, and below softmax's)", causal, "< 1.15", Verdict.threshold(causal.estimate(), held), ev.toString());
    }

    /** Claim 6: memory against model dimension, causal cosine forward: the slope's interval below 2. */
    static Claim memoryVsDim(List<Map<String, String>> rows) {
        String claim = "Memory against model dimension is empirically sub-quadratic";
        String paper = "Fig. 5 bottom-left (the authors expected d^2 and call it unexplained)";
        List<double[]> pts = Plots.points(rows, sweepRows("dim", "cosine", "causal", "forward"), "model_dim", "alloc_mib");
        if (pts.size() < 2) return Claim.notMeasured("6", claim, paper, "dimension sweep not run");
        Stats.Interval slope = logLogSlope(pts);
        double len = rows.stream().filter(r -> r.get("sweep").equals("dim")).mapToDouble(r -> Double.parseDouble(r.get("length")))
                .findFirst().orElse(0);
        Verdict v = !slope.defined() ? Verdict.threshold(slope.estimate(), slope.estimate() < 2)
                : slope.high() < 2 ? Verdict.HELD : slope.low() >= 2 ? Verdict.DID_NOT_HOLD : Verdict.NOT_TESTABLE;
        String ev = String.format(Locale.ROOT, "causal cosine, forward, length %.0f, fixed heads: log-log slope %s "
                + "(the state is H (D/H)^2 = D^2/H, the activations s D: linear while s > D/H)", len,
                Verdict.describe(slope, "%.2f"));
        return Claim.of("6", claim, paper, "log-log slope of allocated bytes vs model dimension", slope,
                "interval below 2", v, ev);
    }

    /**
     * Claim 7: cosine is faster than softmax at long lengths: the softmax / cosine time ratio at the longest length
     * both ran, judged only where that length reaches the paper's crossover (~4k tokens).
     */
    static Claim timeScaling(List<Map<String, String>> rows) {
        String claim = "Time O(s d^2) vs O(s^2 d): cosine faster at long lengths";
        String paper = "Fig. 5 right (unsynchronised timing): cosine faster from ~4k tokens";
        if (rows.isEmpty()) return Claim.notMeasured("7", claim, paper, "attention_scaling not run");
        List<double[]> cos = Plots.points(rows, sweepRows("length", "cosine", "causal", "forward+backward"), "length", "median_ms");
        List<double[]> soft = Plots.points(rows, sweepRows("length", "softmax", "causal", "forward+backward"), "length", "median_ms");
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
        Stats.Interval cs = logLogSlope(cos), ss = logLogSlope(soft);
        String ev = String.format(Locale.ROOT, "causal forward+backward: log-log slope of time vs length cosine %.2f, "
                + "softmax %.2f; cosine faster from s = %.0f; softmax/cosine time at s = %.0f: %.1fx",
                cs.estimate(), ss.estimate(), crossover, maxShared, ratioAtMax);
        Verdict v = Verdict.threshold(ratioAtMax, ratioAtMax > 1 && cs.estimate() < ss.estimate());
        if (maxShared < CROSSOVER_LENGTH && v != Verdict.NOT_MEASURED) {
            v = Verdict.NOT_TESTABLE;
            ev += String.format(Locale.ROOT, "; not judged: the longest length both ran, %.0f, is below the paper's "
                    + "crossover (~%d tokens)", maxShared, CROSSOVER_LENGTH);
        }
        return new Claim("7", claim, paper, "softmax / cosine time at the longest shared length (causal fwd+bwd)",
                cos.size(), ratioAtMax, Double.NaN, Double.NaN, "> 1, at s >= " + CROSSOVER_LENGTH, v, ev);
    }
}
