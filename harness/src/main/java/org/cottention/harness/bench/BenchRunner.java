package org.cottention.harness.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

/** Runs JMH benchmarks of this suite programmatically and turns the results into plain rows. */
public final class BenchRunner {
    private BenchRunner() {}

    /**
     * One benchmark configuration's outcome.
     *
     * @param benchmark  e.g. "AttentionBenchmark.forwardBackward"
     * @param params     JMH parameters
     * @param medianMs   median of the sampled times; minMs / maxMs their extremes; samples their count
     * @param gemmMs     the GEMM probe in the same fork (mean over iterations)
     * @param rssMiB     the fork's peak RSS
     * @param allocMiB   bytes one operation allocated, in MiB (-1 when not recorded)
     */
    public record Measurement(String benchmark, Map<String, String> params, double medianMs, double minMs,
                              double maxMs, long samples, double gemmMs, double rssMiB, double allocMiB) {
        public String param(String name) {
            return params.get(name);
        }

        public int intParam(String name) {
            return Integer.parseInt(params.get(name));
        }
    }

    /** How much to run: iterations and their length. */
    public record Budget(int warmups, int iterations, double seconds) {
        public static final Budget FULL = new Budget(3, 5, 1.0);
        public static final Budget QUICK = new Budget(2, 3, 0.5);
    }

    /**
     * Runs the benchmark methods matching {@code include} (a regex on Class.method) for every combination of
     * the given parameter values, one fork each, and writes JMH's JSON to jsonFile (if not null).
     */
    public static List<Measurement> run(String include, Map<String, List<String>> params, Budget budget,
                                        Path jsonFile) throws RunnerException {
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(include)
                .warmupIterations(budget.warmups())
                .measurementIterations(budget.iterations())
                .warmupTime(TimeValue.milliseconds((long) (budget.seconds() * 1000)))
                .measurementTime(TimeValue.milliseconds((long) (budget.seconds() * 1000)))
                .forks(1)
                .addProfiler(BenchProfiler.class)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .jvmArgsAppend(forkJvmArgs());
        for (Map.Entry<String, List<String>> p : params.entrySet()) o.param(p.getKey(), p.getValue().toArray(String[]::new));
        if (jsonFile != null) o.result(jsonFile.toString()).resultFormat(ResultFormatType.JSON);
        Collection<RunResult> results = new Runner(o.build()).run();
        List<Measurement> out = new ArrayList<>();
        for (RunResult r : results) out.add(measurement(r));
        return out;
    }

    /** The JVM flags of every benchmark fork (the launcher's, for the forks JMH starts). */
    static String[] forkJvmArgs() {
        List<String> args = new ArrayList<>();
        args.add("--add-modules");             // the fused kernels' Vector API, as the launcher
        args.add("jdk.incubator.vector");
        // As the launcher: JavaCPP's default native-memory cap is derived from -Xmx; the arrays are not.
        args.add("-Dorg.bytedeco.javacpp.maxbytes=0");
        args.add("-Dorg.bytedeco.javacpp.maxphysicalbytes=0");
        if (Runtime.version().feature() >= 23) {
            args.add("--enable-native-access=ALL-UNNAMED");
            args.add("--sun-misc-unsafe-memory-access=allow");
        }
        String threads = System.getProperty("cottention.threads");
        if (threads != null) args.add("-Dcottention.threads=" + threads);
        return args.toArray(String[]::new);
    }

    private static Measurement measurement(RunResult r) {
        Statistics st = r.getPrimaryResult().getStatistics();
        Map<String, String> params = new TreeMap<>();
        for (String key : r.getParams().getParamsKeys()) params.put(key, r.getParams().getParam(key));
        String name = r.getParams().getBenchmark();
        name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
        Map<String, Result> sec = r.getSecondaryResults();
        return new Measurement(name, params, st.getPercentile(50), st.getMin(), st.getMax(), st.getN(),
                score(sec, BenchProfiler.GEMM), score(sec, BenchProfiler.RSS), score(sec, BenchProfiler.ALLOCATED));
    }

    private static double score(Map<String, Result> secondary, String key) {
        Result r = secondary.get(key);
        return r == null ? -1 : r.getScore();
    }
}
