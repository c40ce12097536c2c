package org.cottention.harness.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.cottention.harness.io.AtomicFiles;

/**
 * The CI regression gate on kernel speed, measured side by side. A reference commit (bench/gate-reference) is
 * built from git next to the working tree (see {@link ReferenceBuild}); a few representative configurations run
 * under JMH for both builds in the same gate run, in alternating forks (reference, head, then head, reference),
 * and each build keeps its fastest fork per configuration. The gate fails when the head's time exceeds the
 * reference's by more than its configuration's threshold, or when an operation allocates more bytes than the
 * reference's.
 *
 * <p>Comparing with numbers committed from an earlier day does not work on these shared machines: on
 * 2026-11-30 the unchanged code read up to 2.1x a committed baseline, even divided by a GEMM probe measured in
 * the same fork (docs/bench.md, "Why side by side").
 */
public final class SpeedGate {
    private SpeedGate() {}

    /** The file naming the reference commit (relative to the repository root). */
    public static final String DEFAULT_REFERENCE_FILE = "bench/gate-reference";
    /**
     * Allowed growth of the head's time over the reference's in the same run, for the attention operations:
     * identical code read at most 1.21x itself, and a kernel run twice at least 1.70x (docs/bench.md, "Gate noise").
     */
    public static final double THRESHOLD = 0.5;
    /**
     * The same for the decoding steps (about 1 ms each, their forks vary more): identical code read up to 1.36x
     * itself, so these catch only gross regressions (a step that grows with the position reads far above 2x).
     */
    public static final double DECODE_THRESHOLD = 1.0;
    /**
     * The same for one optimiser step of the default GPT-J and BERT (TrainStepBenchmark, about 0.5 s): the whole
     * training path (every fused layer, the attention, AdamW) in one number, so a regression outside the attention
     * kernels is caught too. Identical code read up to 1.33x itself on the quiet machine and 1.54x while other
     * training runs shared the 2 cores; a step run twice (--repeat 2) read 1.69-2.32x (docs/bench.md, items 5-7):
     * +60 % lies between, so a doubled step fails.
     */
    public static final double TRAIN_THRESHOLD = 0.6;
    /** Allocation per operation is deterministic; 1 % slack covers alignment rounding. */
    public static final double ALLOCATION_SLACK = 0.01;
    static final BenchRunner.Budget BUDGET = new BenchRunner.Budget(3, 6, 0.5);
    /** Rounds; each runs every configuration once per build, the order of the builds alternating. */
    static final int ROUNDS = 2;

    /** One gate configuration: a benchmark method, its parameters, and the allowed growth of its time. */
    record Config(String include, Map<String, String> params, double threshold) {
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
                "length", "2048", "heads", "8", "dim", "64", "chunk", "64", "repeat", r), THRESHOLD));
        c.add(new Config("AttentionBenchmark\\.forwardBackward$", Map.of("impl", "cosine-linear", "causal", "false",
                "length", "2048", "heads", "8", "dim", "64", "repeat", r), THRESHOLD));
        c.add(new Config("AttentionBenchmark\\.forwardBackward$", Map.of("impl", "softmax-materialized", "causal",
                "true", "length", "512", "heads", "8", "dim", "64", "repeat", r), THRESHOLD));
        for (String kind : new String[] {"cosine", "softmax"}) {
            c.add(new Config("TrainStepBenchmark\\.step$", Map.of("model", "gpt", "attention", kind, "repeat", r),
                    TRAIN_THRESHOLD));
        }
        for (String kind : new String[] {"cosine", "softmax"}) {
            c.add(new Config("TrainStepBenchmark\\.step$", Map.of("model", "bert", "attention", kind, "repeat", r),
                    TRAIN_THRESHOLD));
        }
        for (String kind : new String[] {"cosine", "softmax"}) {
            c.add(new Config("DecodeBenchmark\\.step$", Map.of("kind", kind, "position", "1024", "repeat", r),
                    DECODE_THRESHOLD));
        }
        return c;
    }

    /** A build whose benchmarks the gate runs: its label, the class path of its JMH run, and the slowdown. */
    record Side(String label, String classPath, int repeat) {}

    /** One configuration of one build: the median time of its fastest fork, and bytes allocated per operation. */
    record Timing(double medianMs, double allocBytes) {
        Timing faster(Timing other) {
            return other == null || medianMs <= other.medianMs ? this : other;
        }
    }

    /**
     * Runs every configuration for both builds, {@link #ROUNDS} times in alternating order; returns key ->
     * {reference, head}, each the fastest fork (interference from JIT decisions, memory layout or a neighbour on
     * the host only ever slows a fork down).
     */
    static Map<String, Timing[]> measure(Side reference, Side head, Path scratch, PrintStream out) throws Exception {
        Map<String, Timing[]> best = new LinkedHashMap<>();
        List<Config> refConfigs = configs(reference.repeat()), headConfigs = configs(head.repeat());
        for (int round = 0; round < ROUNDS; round++) {
            for (int i = 0; i < refConfigs.size(); i++) {
                Timing[] pair = best.computeIfAbsent(refConfigs.get(i).key(), k -> new Timing[2]);
                for (int j = 0; j < 2; j++) {
                    int side = (round + j) % 2;     // 0 = reference: first in round 1, second in round 2
                    Side s = side == 0 ? reference : head;
                    Config c = side == 0 ? refConfigs.get(i) : headConfigs.get(i);
                    Timing t = runFork(s, c, scratch.resolve("gate-" + round + "-" + i + "-" + side + ".csv"));
                    out.printf(Locale.ROOT, "gate: round %d/%d  %-9s %8.3f ms  %s%n", round + 1, ROUNDS, s.label(),
                            t.medianMs(), c.key());
                    pair[side] = t.faster(pair[side]);
                }
            }
        }
        return best;
    }

    /** One JMH fork of one configuration, through JMH's own command line on the build's class path. */
    static Timing runFork(Side side, Config c, Path csv) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", side.classPath(), "org.openjdk.jmh.Main", c.include()));
        // repeat=1 is every benchmark's default and is left out: a reference commit older than its @Param still runs.
        c.params().forEach((k, v) -> {
            if (!(k.equals("repeat") && v.equals("1"))) cmd.addAll(List.of("-p", k + "=" + v));
        });
        String ms = (long) (BUDGET.seconds() * 1000) + "ms";
        cmd.addAll(List.of("-f", "1", "-wi", Integer.toString(BUDGET.warmups()), "-i", Integer.toString(BUDGET.iterations()),
                "-w", ms, "-r", ms, "-foe", "true", "-prof", BenchProfiler.class.getName(),
                "-jvmArgsAppend", String.join(" ", BenchRunner.forkJvmArgs()), "-rf", "csv", "-rff", csv.toString(),
                "-v", "SILENT"));
        Files.deleteIfExists(csv);   // a result left by an earlier gate run must not stand in for this one
        ReferenceBuild.Result r = ReferenceBuild.exec(Path.of("."), cmd, 600);
        if (r.code() != 0 || !Files.isRegularFile(csv)) {
            throw new IllegalStateException("gate: the " + side.label() + " benchmark " + c.key() + " failed (exit "
                    + r.code() + "):\n" + r.tail());
        }
        return readJmhCsv(csv);
    }

    /** From JMH's CSV result of one sample-time benchmark: the median (its p0.50 row) and the allocation row. */
    static Timing readJmhCsv(Path csv) throws IOException {
        double median = Double.NaN, alloc = -1;
        try (Reader r = Files.newBufferedReader(csv)) {
            for (CSVRecord rec : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r)) {
                String name = rec.get("Benchmark");
                if (name.endsWith(":p0.50")) median = Double.parseDouble(rec.get("Score"));
                if (name.endsWith(":" + BenchProfiler.ALLOCATED)) alloc = Double.parseDouble(rec.get("Score")) * 1024 * 1024;
            }
        }
        if (Double.isNaN(median)) throw new IllegalStateException("gate: " + csv + " has no p0.50 row (not a sample-time run?)");
        return new Timing(median, alloc);
    }

    /**
     * The gate: the working tree (this JVM's class path) against the reference commit. Returns the exit code:
     * 0 passed, 1 a configuration is slower beyond the threshold or allocates more.
     */
    public static int run(String referenceCommit, int repeat, PrintStream out) throws Exception {
        Path root = ReferenceBuild.root();
        String commitish = referenceCommit != null ? referenceCommit
                : ReferenceBuild.readCommitFile(root.resolve(DEFAULT_REFERENCE_FILE));
        String commit = ReferenceBuild.resolve(root, commitish);    // before building: an unknown commit fails at once
        Side reference = new Side("reference", ReferenceBuild.classPath(root, commit, out), 1);
        Side head = new Side("head", System.getProperty("java.class.path"), repeat);
        out.printf("gate: head (working tree) against reference %s, %d rounds%n", commit.substring(0, 12), ROUNDS);
        Map<String, Timing[]> t = measure(reference, head, scratch(root), out);
        boolean failed = false;
        out.printf(Locale.ROOT, "gate: median ms of each build's fastest fork; allocation per op must not grow%n");
        out.printf(Locale.ROOT, "  %-100s %9s %9s %7s %6s %12s %12s  %s%n", "configuration", "reference", "head",
                "ratio", "limit", "ref alloc", "head alloc", "verdict");
        for (Config c : configs(repeat)) {
            Timing[] pair = t.getOrDefault(c.key(), new Timing[2]);
            Timing ref = pair[0], now = pair[1];
            String verdict = verdict(ref, now, c.threshold());
            failed |= !verdict.equals("ok");
            out.printf(Locale.ROOT, "  %-100s %9.3f %9.3f %7.3f %6.2f %12.0f %12.0f  %s%n", c.key(), ms(ref), ms(now),
                    ms(now) / ms(ref), 1 + c.threshold(), ref == null ? Double.NaN : ref.allocBytes(),
                    now == null ? Double.NaN : now.allocBytes(), verdict);
        }
        out.println(failed ? "gate: FAILED" : "gate: passed");
        return failed ? 1 : 0;
    }

    private static double ms(Timing t) {
        return t == null ? Double.NaN : t.medianMs();
    }

    /**
     * One configuration's verdict: "ok", "SLOWER" (the head's time over the reference's beyond 1 + threshold),
     * "ALLOCATES MORE" (bytes per operation beyond the slack) or both, or "MISSING" when a build has no timing
     * for it (a failed gate never passes by leaving a configuration out).
     */
    static String verdict(Timing reference, Timing head, double threshold) {
        if (reference == null || head == null) return "MISSING";
        boolean slow = head.medianMs() / reference.medianMs() > 1 + threshold;
        // A benchmark that records no allocation (the training step: its workspaces are the trainer's) reads -1.
        boolean measured = head.allocBytes() >= 0 && reference.allocBytes() >= 0;
        boolean alloc = measured && head.allocBytes() > reference.allocBytes() * (1 + ALLOCATION_SLACK);
        return slow ? "SLOWER" + (alloc ? ", ALLOCATES MORE" : "") : alloc ? "ALLOCATES MORE" : "ok";
    }

    /**
     * The working tree measured against itself, {@code runs} times: the spread of the head/reference ratio of
     * identical code, which the threshold must stay above. Prints per configuration min / median / max.
     */
    public static int noise(int runs, PrintStream out) throws Exception {
        String cp = System.getProperty("java.class.path");
        Path scratch = scratch(ReferenceBuild.root());
        Map<String, List<Double>> ratios = new LinkedHashMap<>();
        for (int run = 0; run < runs; run++) {
            out.printf("gate noise: run %d/%d (the working tree against itself)%n", run + 1, runs);
            measure(new Side("a", cp, 1), new Side("b", cp, 1), scratch, out).forEach((k, v) ->
                    ratios.computeIfAbsent(k, x -> new ArrayList<>()).add(v[1].medianMs() / v[0].medianMs()));
        }
        out.printf(Locale.ROOT, "  %-100s %7s %7s %7s %8s %6s%n", "configuration (ratio b/a)", "min", "median", "max",
                "worst", "limit");
        for (Config c : configs(1)) {
            List<Double> xs = ratios.get(c.key()).stream().sorted().toList();
            double worst = Math.max(xs.get(xs.size() - 1), 1 / xs.get(0));   // either build may be the slower one
            out.printf(Locale.ROOT, "  %-100s %7.3f %7.3f %7.3f %8.3f %6.2f%n", c.key(), xs.get(0),
                    xs.get(xs.size() / 2), xs.get(xs.size() - 1), worst, 1 + c.threshold());
        }
        return 0;
    }

    /** Writes the reference file naming commitish's full hash (the gate then compares against that commit). */
    public static int setReference(String commitish, PrintStream out) throws Exception {
        Path root = ReferenceBuild.root();
        String commit = ReferenceBuild.resolve(root, commitish);
        Path file = root.resolve(DEFAULT_REFERENCE_FILE);
        AtomicFiles.writeString(file, """
                # The commit the CI speed gate (./cottention bench --gate) measures the working tree against, side by
                # side in the same run. Change it on purpose, with ./cottention bench --gate --set-reference COMMIT
                # (docs/bench.md).
                %s
                """.formatted(commit));
        out.println("gate: reference set to " + commit + " in " + file);
        return 0;
    }

    private static Path scratch(Path root) throws IOException {
        Path dir = root.resolve("target/gate-runs");
        Files.createDirectories(dir);
        return dir;
    }
}
