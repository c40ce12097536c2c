package org.cottention.harness.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.cottention.harness.cli.CliException;
import org.cottention.harness.results.CsvTable;

/**
 * The CI regression gate on kernel speed. A few representative configurations run under JMH; each median time
 * is divided by the GEMM probe measured in the same fork (so a slower or busier machine does not read as a
 * regression) and compared with the committed baseline. The gate fails when a normalised time exceeds the
 * baseline by more than {@link #THRESHOLD}, or when an operation allocates more bytes than the baseline's.
 */
public final class SpeedGate {
    private SpeedGate() {}

    public static final String DEFAULT_BASELINE = "bench/gate-baseline.csv";
    /**
     * Allowed growth of a normalised time over the baseline, justified by the run-to-run spread measured on this
     * machine kind (docs/bench.md, "Gate noise"): the baseline is the median of {@link #BASELINE_RUNS} runs; an
     * unchanged run read at most 1.26x it, and no configuration's normalised time ranged wider than 1.49x across
     * sessions. A kernel run twice (--repeat 2) read 1.64x to 2.10x, so +50 % separates the two on these shapes.
     */
    public static final double THRESHOLD = 0.5;
    /** Runs whose per-configuration median becomes the baseline (one run alone may be a fast or slow one). */
    static final int BASELINE_RUNS = 3;
    /** Allocation per operation is deterministic; 1 % slack covers alignment rounding. */
    public static final double ALLOCATION_SLACK = 0.01;
    static final BenchRunner.Budget BUDGET = new BenchRunner.Budget(3, 6, 0.5);
    /** JMH forks per configuration; the least disturbed one counts. */
    static final int FORKS = 2;

    /** One gate configuration: a benchmark method and its parameters. */
    record Config(String include, Map<String, String> params) {
        String key() {
            StringBuilder sb = new StringBuilder(include.replace("\\.", ".").replace("$", ""));
            // "repeat" (the test-only slowdown) is not part of the key: a slowed run is compared with the same entry.
            new TreeMap<>(params).forEach((k, v) -> {
                if (!k.equals("repeat")) sb.append(' ').append(k).append('=').append(v);
            });
            return sb.toString();
        }
    }

    static List<Config> configs(int repeat) {
        String r = Integer.toString(repeat);
        List<Config> c = new ArrayList<>();
        c.add(new Config("AttentionBenchmark\\.forwardBackward$", Map.of("impl", "cosine-chunked", "causal", "true",
                "length", "2048", "heads", "8", "dim", "64", "chunk", "64", "repeat", r)));
        c.add(new Config("AttentionBenchmark\\.forwardBackward$", Map.of("impl", "cosine-linear", "causal", "false",
                "length", "2048", "heads", "8", "dim", "64", "repeat", r)));
        c.add(new Config("AttentionBenchmark\\.forwardBackward$", Map.of("impl", "softmax-materialized", "causal",
                "true", "length", "512", "heads", "8", "dim", "64", "repeat", r)));
        c.add(new Config("DecodeBenchmark\\.step$", Map.of("kind", "cosine", "position", "1024")));
        c.add(new Config("DecodeBenchmark\\.step$", Map.of("kind", "softmax", "position", "1024")));
        return c;
    }

    /**
     * Runs the gate's configurations once: key -> {normalised time, alloc bytes, median ms, gemm ms}. Each
     * configuration runs in {@link #FORKS} JMH forks and keeps the fork with the smallest normalised time: the
     * spread between forks (JIT decisions, memory layout, a neighbour on the host) only ever slows a fork down.
     */
    static Map<String, double[]> measure(int repeat) throws Exception {
        Map<String, double[]> head = new LinkedHashMap<>();
        for (Config c : configs(repeat)) {
            Map<String, List<String>> params = new LinkedHashMap<>();
            c.params().forEach((k, v) -> params.put(k, List.of(v)));
            for (int fork = 0; fork < FORKS; fork++) {
                for (BenchRunner.Measurement m : BenchRunner.run(c.include(), params, BUDGET, null)) {
                    double[] v = {m.medianMs() / m.gemmMs(), m.allocMiB() * 1024 * 1024, m.medianMs(), m.gemmMs()};
                    head.merge(c.key(), v, (a, b) -> a[0] <= b[0] ? a : b);
                }
            }
        }
        return head;
    }

    /** Runs the configurations `runs` times, nothing changed: key -> one measurement per run. */
    static Map<String, List<double[]>> repeatedly(int runs, String label, PrintStream out) throws Exception {
        Map<String, List<double[]>> all = new LinkedHashMap<>();
        for (int r = 0; r < runs; r++) {
            out.printf("gate %s: run %d/%d%n", label, r + 1, runs);
            measure(1).forEach((k, v) -> all.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        }
        return all;
    }

    /** Prints, per configuration, min / median / max of the normalised times and max/median; returns the worst. */
    static double printSpread(Map<String, List<double[]>> all, PrintStream out) {
        double worst = 1;
        out.printf(Locale.ROOT, "  %-100s %9s %9s %9s %8s%n", "configuration", "min", "median", "max", "max/med");
        for (Map.Entry<String, List<double[]>> e : all.entrySet()) {
            List<Double> xs = e.getValue().stream().map(v -> v[0]).sorted().toList();
            double median = xs.get(xs.size() / 2), spread = xs.get(xs.size() - 1) / median;
            worst = Math.max(worst, spread);
            out.printf(Locale.ROOT, "  %-100s %9.4f %9.4f %9.4f %8.3f%n", e.getKey(), xs.get(0), median,
                    xs.get(xs.size() - 1), spread);
        }
        out.printf(Locale.ROOT, "gate: worst max/median over %d unchanged runs: %.3f (threshold: 1 + %.2f)%n",
                all.values().iterator().next().size(), worst, THRESHOLD);
        return worst;
    }

    /**
     * Runs the gate's configurations {@code runs} times with nothing changed and prints the spread of the
     * normalised times: the run-to-run noise the threshold must stay above.
     */
    public static int noise(int runs, PrintStream out) throws Exception {
        printSpread(repeatedly(runs, "noise", out), out);
        return 0;
    }

    /** Returns the exit code: 0 pass (or baseline written), 1 regression. */
    public static int run(Path baselineFile, boolean update, int repeat, PrintStream out) throws Exception {
        if (update) {
            Map<String, double[]> head = medianOfRuns(BASELINE_RUNS, out);
            // CsvTable appends the provenance columns (commit, machine, threads, ...) to every row.
            CsvTable t = new CsvTable(List.of("key", "normalized_time", "alloc_bytes_per_op", "median_ms", "gemm_ms"));
            head.forEach((k, v) -> {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("key", k);
                row.put("normalized_time", v[0]);
                row.put("alloc_bytes_per_op", (long) v[1]);
                row.put("median_ms", v[2]);
                row.put("gemm_ms", v[3]);
                t.add(row);
            });
            t.write(baselineFile);
            out.println("gate: baseline written to " + baselineFile + " (" + head.size() + " configurations)");
            return 0;
        }
        Map<String, CSVRecord> base = readBaseline(baselineFile);  // before measuring: a missing file fails at once
        Map<String, double[]> head = measure(repeat);
        boolean failed = false;
        out.printf(Locale.ROOT, "gate: time / GEMM probe (same fork), threshold +%.0f %%; allocation per op must not grow%n",
                THRESHOLD * 100);
        out.printf(Locale.ROOT, "  %-100s %9s %9s %7s %12s %12s  %s%n", "configuration", "base", "head", "ratio",
                "base alloc", "head alloc", "verdict");
        for (Map.Entry<String, double[]> e : head.entrySet()) {
            CSVRecord b = base.get(e.getKey());
            if (b == null) {
                out.printf("  %-100s  no baseline entry: run ./cottention bench --gate --update-baseline%n", e.getKey());
                failed = true;
                continue;
            }
            double baseNorm = Double.parseDouble(b.get("normalized_time"));
            double baseAlloc = Double.parseDouble(b.get("alloc_bytes_per_op"));
            double ratio = e.getValue()[0] / baseNorm;
            boolean slow = ratio > 1 + THRESHOLD;
            boolean alloc = e.getValue()[1] > baseAlloc * (1 + ALLOCATION_SLACK);
            failed |= slow || alloc;
            out.printf(Locale.ROOT, "  %-100s %9.4f %9.4f %7.3f %12.0f %12.0f  %s%n", e.getKey(), baseNorm,
                    e.getValue()[0], ratio, baseAlloc, e.getValue()[1],
                    slow ? "SLOWER" + (alloc ? ", ALLOCATES MORE" : "") : alloc ? "ALLOCATES MORE" : "ok");
        }
        out.println(failed ? "gate: FAILED" : "gate: passed");
        return failed ? 1 : 0;
    }

    /** Per configuration, the run with the median normalised time (its alloc the largest seen); prints the spread. */
    static Map<String, double[]> medianOfRuns(int runs, PrintStream out) throws Exception {
        Map<String, List<double[]>> all = repeatedly(runs, "baseline", out);
        printSpread(all, out);
        Map<String, double[]> median = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            List<double[]> sorted = v.stream().sorted(Comparator.comparingDouble(x -> x[0])).toList();
            double[] m = sorted.get(sorted.size() / 2).clone();
            for (double[] x : v) m[1] = Math.max(m[1], x[1]);
            median.put(k, m);
        });
        return median;
    }

    static Map<String, CSVRecord> readBaseline(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CliException("bench: " + file + ": no gate baseline there; pass --baseline FILE, or create it with "
                    + "./cottention bench --gate --update-baseline");
        }
        Map<String, CSVRecord> out = new LinkedHashMap<>();
        try (Reader r = Files.newBufferedReader(file)) {
            for (CSVRecord rec : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r)) {
                out.put(rec.get("key"), rec);
            }
        }
        return out;
    }
}
