package org.cottention.harness.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import org.cottention.harness.CliException;
import org.cottention.harness.Options;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.harness.bench.BenchRunner;
import org.cottention.harness.bench.BenchRunner.Budget;
import org.cottention.harness.bench.BenchRunner.Measurement;
import org.cottention.harness.bench.FlopCounts;
import org.cottention.harness.bench.GemmProbe;
import org.cottention.harness.bench.SpeedGate;
import org.cottention.harness.results.CsvTable;
import org.cottention.harness.results.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cottention bench}: the JMH grid over every attention implementation (forward, forward + backward,
 * decoding step, GEMM probe), written to results/bench/*.csv with FLOP counts, GFLOP/s and share of the GEMM
 * ceiling; or, with --gate, the CI regression gate: the working tree against a reference commit, side by side.
 */
@Command(name = "bench",
        description = "JMH benchmarks of every attention implementation; --gate: the CI speed gate",
        customSynopsis = {
            "./cottention bench [--quick] [--only attention,decode,gemm] [--out DIR]",
            "       ./cottention bench --gate [--reference COMMIT] [--repeat N]",
            "       ./cottention bench --gate --set-reference COMMIT | --noise N"},
        footerHeading = "%n",
        footer = "Runs the JMH benchmarks (one fork per configuration; median of sampled times) and writes"
                + " DIR/attention.csv, decode.csv, gemm.csv, targets.csv and JMH's JSON. --gate runs the CI"
                + " subset for the working tree and for a reference commit side by side, in alternating JMH"
                + " forks of the same run (the reference, named in bench/gate-reference or by --reference, "
                + "is built from git into target/gate-reference/), and fails (exit 1) when the working tree"
                + " is slower beyond the threshold or allocates more. Threads: OMP_NUM_THREADS (ND4J, "
                + "OpenBLAS and the kernels), reported in every row.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done (the gate: the working tree is within the thresholds)",
            "2:bad input: one line on stderr naming it and the fix",
            "1:the gate failed (slower or allocating more), or a bug (a stack trace on stderr)"})
public final class BenchCommand implements Callable<Integer> {
    private static final Set<String> PARTS = Set.of("attention", "decode", "gemm");

    @Option(names = "--quick", description = "2 warm-up + 3 measured iterations of 0.5 s instead of 3 + 5 of 1 s")
    boolean quick;
    @Option(names = "--only", paramLabel = "PARTS", description = "a comma-separated subset of attention, decode, "
            + "gemm (default: all)")
    String only = "attention,decode,gemm";
    @Option(names = "--out", paramLabel = "DIR", description = "where the tables go (default: ${DEFAULT-VALUE})")
    String dir = "results/bench";
    @Option(names = "--gate", description = "the CI speed gate instead of the grid")
    boolean gate;
    @Option(names = "--reference", paramLabel = "COMMIT", description = "(--gate) the commit to compare with "
            + "(default: the one in bench/gate-reference)")
    String reference;
    @Option(names = "--set-reference", paramLabel = "COMMIT", description = "(--gate) rewrite bench/gate-reference")
    String setReference;
    @Option(names = "--repeat", paramLabel = "N", description = "(--gate) run each attention operation of the "
            + "working tree N times (a deliberately slowed kernel, to see the gate fail)")
    Integer repeat;
    @Option(names = "--noise", paramLabel = "N", description = "(--gate) measure the working tree against itself N "
            + "times and print the spread of the ratios (how the threshold was chosen)")
    Integer noise;

    private final PrintStream out;

    public BenchCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        // Every value is checked here, before any measurement.
        int repeats = Options.positive("--repeat", repeat, 1), noiseRuns = Options.positive("--noise", noise, 3);
        if (gate) {
            Options.exclusive("--noise", noise != null, "--set-reference", setReference != null, "");
            if (noise != null) return SpeedGate.noise(noiseRuns, out);
            if (setReference != null) return SpeedGate.setReference(setReference, out);
            return SpeedGate.run(reference, repeats, out);
        }
        String[] gateOnly = {"--reference", "--set-reference", "--repeat", "--noise"};
        Object[] given = {reference, setReference, repeat, noise};
        for (int i = 0; i < gateOnly.length; i++) {
            if (given[i] != null) throw new CliException("bench: " + gateOnly[i] + " applies to --gate only");
        }
        Budget budget = quick ? Budget.QUICK : Budget.FULL;
        Set<String> parts = new LinkedHashSet<>();
        for (String part : only.split(",")) {
            if (!PARTS.contains(part.trim())) {
                throw new CliException("bench: --only takes attention, decode and gemm, got '" + part + "'");
            }
            parts.add(part.trim());
        }
        Path dir = Path.of(this.dir);
        Options.writableDirectory("--out", dir);
        if (parts.contains("gemm")) writeGemm(dir, budget, out);
        if (parts.contains("attention")) writeAttention(dir, budget, out);
        if (parts.contains("decode")) writeDecode(dir, budget, out);
        if (parts.contains("attention")) Targets.write(dir, out);
        return 0;
    }

    /** A group of attention configurations: one implementation over lists of parameter values. */
    record Group(String impl, boolean causal, List<Integer> lengths, List<Integer> dims, List<Integer> heads,
                 List<Integer> chunks) {}

    static List<Group> attentionGrid() {
        List<Integer> one = List.of(64);
        List<Group> g = new ArrayList<>();
        // Against length (N = 1, H = 8, d = 64), causal and bidirectional.
        g.add(new Group("cosine-chunked", true, List.of(1024, 4096, 16384, 65536), one, List.of(8), one));
        g.add(new Group("softmax-materialized", true, List.of(1024, 2048, 4096), one, List.of(8), one));
        g.add(new Group("cosine-quadratic", true, List.of(1024, 4096), one, List.of(8), one));
        g.add(new Group("cosine-linear", false, List.of(1024, 4096, 16384, 65536), one, List.of(8), one));
        g.add(new Group("softmax-materialized", false, List.of(1024, 2048, 4096), one, List.of(8), one));
        // Against chunk size, head dimension and heads at s = 4096.
        g.add(new Group("cosine-chunked", true, List.of(4096), one, List.of(8), List.of(16, 32, 128, 256)));
        g.add(new Group("cosine-chunked", true, List.of(4096), List.of(32, 128), List.of(8), one));
        g.add(new Group("softmax-materialized", true, List.of(4096), List.of(32, 128), List.of(8), one));
        g.add(new Group("cosine-chunked", true, List.of(4096), one, List.of(1, 2, 16), one));
        // The oracles, at a size they finish.
        g.add(new Group("cosine-reference", true, List.of(128), List.of(16), List.of(2), one));
        g.add(new Group("softmax-reference", true, List.of(128), List.of(16), List.of(2), one));
        return g;
    }

    static final List<String> ATTENTION_COLUMNS = List.of("benchmark", "pass", "impl", "kind", "causal", "batch",
            "heads", "length", "dim", "chunk", "dtype", "median_ms", "min_ms", "max_ms", "samples",
            "time_per_token_us", "flops", "gflops", "gemm_probe_ms", "gemm_gflops", "share_of_gemm",
            "alloc_mib_per_op", "peak_rss_mib");

    private static void writeAttention(Path dir, Budget budget, PrintStream out) throws Exception {
        CsvTable table = new CsvTable(ATTENTION_COLUMNS);
        List<Map<String, String>> configs = new ArrayList<>();
        for (Group g : attentionGrid()) {
            for (int s : g.lengths) for (int d : g.dims) for (int h : g.heads) for (int c : g.chunks) {
                configs.add(Map.of("impl", g.impl, "causal", Boolean.toString(g.causal), "length", "" + s,
                        "dim", "" + d, "heads", "" + h, "chunk", "" + c));
            }
        }
        Progress progress = new Progress("bench attention", configs.size(), out);
        for (int i = 0; i < configs.size(); i++) {
            Map<String, String> c = configs.get(i);
            progress.starting(String.format("%s %s s=%s d=%s H=%s%s, forward and forward+backward", c.get("impl"),
                    c.get("causal").equals("true") ? "causal" : "bidirectional", c.get("length"), c.get("dim"),
                    c.get("heads"), c.get("impl").equals("cosine-chunked") ? " C=" + c.get("chunk") : ""));
            Map<String, List<String>> params = new LinkedHashMap<>();
            c.forEach((k, v) -> params.put(k, List.of(v)));
            for (Measurement m : BenchRunner.run("AttentionBenchmark\\.forward(Backward)?$", params, budget,
                    dir.resolve("jmh-attention-" + i + ".json"))) {
                table.add(attentionRow(m));
                out.printf(Locale.ROOT, "    %-32s median %10.3f ms  alloc %8.1f MiB  peak RSS %7.0f MiB%n",
                        m.benchmark(), m.medianMs(), m.allocMiB(), m.rssMiB());
            }
            table.write(dir.resolve("attention.csv"));  // after every configuration: an interrupted run keeps what it has
            progress.finished();
        }
        out.println("bench: wrote " + dir.resolve("attention.csv"));
    }

    static Map<String, Object> attentionRow(Measurement m) {
        String impl = m.param("impl");
        boolean causal = Boolean.parseBoolean(m.param("causal"));
        boolean backward = m.benchmark().endsWith("forwardBackward");
        int n = m.intParam("batch"), h = m.intParam("heads"), s = m.intParam("length"), d = m.intParam("dim");
        int chunk = m.intParam("chunk");
        double flops = FlopCounts.attention(impl, causal, backward, n, h, s, d, chunk);
        double gflops = flops / (m.medianMs() * 1e6);
        double gemmGflops = GemmProbe.gflops(m.gemmMs());
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("benchmark", m.benchmark());
        row.put("pass", backward ? "forward+backward" : "forward");
        row.put("impl", impl);
        row.put("kind", AttentionRegistry.find(impl).map(e -> e.kind().label()).orElse("?"));
        row.put("causal", causal);
        row.put("batch", n);
        row.put("heads", h);
        row.put("length", s);
        row.put("dim", d);
        row.put("chunk", impl.equals("cosine-chunked") ? Integer.toString(chunk) : "");
        row.put("dtype", m.param("dtype"));
        row.put("median_ms", m.medianMs());
        row.put("min_ms", m.minMs());
        row.put("max_ms", m.maxMs());
        row.put("samples", m.samples());
        row.put("time_per_token_us", m.medianMs() * 1000 / ((double) n * s));
        row.put("flops", flops);
        row.put("gflops", gflops);
        row.put("gemm_probe_ms", m.gemmMs());
        row.put("gemm_gflops", gemmGflops);
        row.put("share_of_gemm", gflops / gemmGflops);
        row.put("alloc_mib_per_op", m.allocMiB());
        row.put("peak_rss_mib", m.rssMiB());
        return row;
    }

    private static void writeDecode(Path dir, Budget budget, PrintStream out) throws Exception {
        CsvTable table = new CsvTable(List.of("kind", "position", "batch", "heads", "dim", "median_ms", "min_ms",
                "max_ms", "samples", "flops", "gflops", "gemm_probe_ms", "alloc_mib_per_op", "peak_rss_mib"));
        Map<String, List<String>> params = new LinkedHashMap<>();
        params.put("kind", List.of("cosine", "softmax"));
        params.put("position", List.of("1024", "4096", "16384", "32768"));
        out.println("bench: decoding step, cosine state vs softmax KV cache, positions 1024..32768");
        for (Measurement m : BenchRunner.run("DecodeBenchmark\\.step$", params, budget, dir.resolve("jmh-decode.json"))) {
            int n = m.intParam("batch"), h = m.intParam("heads"), d = m.intParam("dim"), p = m.intParam("position");
            double flops = FlopCounts.decodeStep(m.param("kind"), n, h, p, d);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("kind", m.param("kind"));
            row.put("position", p);
            row.put("batch", n);
            row.put("heads", h);
            row.put("dim", d);
            row.put("median_ms", m.medianMs());
            row.put("min_ms", m.minMs());
            row.put("max_ms", m.maxMs());
            row.put("samples", m.samples());
            row.put("flops", flops);
            row.put("gflops", flops / (m.medianMs() * 1e6));
            row.put("gemm_probe_ms", m.gemmMs());
            row.put("alloc_mib_per_op", m.allocMiB());
            row.put("peak_rss_mib", m.rssMiB());
            table.add(row);
            out.printf("  %-8s position %-6d median %8.4f ms  alloc %7.3f MiB%n", m.param("kind"), p, m.medianMs(),
                    m.allocMiB());
        }
        table.write(dir.resolve("decode.csv"));
        out.println("bench: wrote " + dir.resolve("decode.csv"));
    }

    private static void writeGemm(Path dir, Budget budget, PrintStream out) throws Exception {
        CsvTable table = new CsvTable(List.of("size", "median_ms", "min_ms", "max_ms", "samples", "gflops"));
        for (Measurement m : BenchRunner.run("GemmBenchmark\\.gemm$", Map.of(), budget, dir.resolve("jmh-gemm.json"))) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("size", GemmProbe.SIZE + "x" + GemmProbe.SIZE + "x" + GemmProbe.SIZE + " float32");
            row.put("median_ms", m.medianMs());
            row.put("min_ms", m.minMs());
            row.put("max_ms", m.maxMs());
            row.put("samples", m.samples());
            row.put("gflops", GemmProbe.gflops(m.medianMs()));
            table.add(row);
            out.printf(Locale.ROOT, "bench: GEMM %d^3 float32: median %.2f ms = %.1f GFLOP/s%n", GemmProbe.SIZE,
                    m.medianMs(), GemmProbe.gflops(m.medianMs()));
        }
        table.write(dir.resolve("gemm.csv"));
    }

    private static List<String> strings(List<Integer> xs) {
        return xs.stream().map(String::valueOf).toList();
    }
}
