package org.cottention.harness.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler, run inside each fork, that adds to every iteration: the process's peak RSS (VmHWM from
 * /proc/self/status; maximum over iterations), the bytes one operation allocated (maximum), and the GEMM
 * probe's milliseconds measured in the same fork just before the iteration (mean).
 */
public final class BenchProfiler implements InternalProfiler {
    public static final String RSS = "rss.peak.MiB";
    public static final String ALLOCATED = "alloc.MiB.per.op";
    public static final String GEMM = "gemm.probe.ms";

    @Override
    public String getDescription() {
        return "peak RSS, bytes allocated per operation, GEMM probe time";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        // The benchmark's @Setup(Level.Iteration) runs the probe; nothing to do here.
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        List<Result> out = new ArrayList<>();
        out.add(new ScalarResult(RSS, peakRssKiB() / 1024.0, "MiB", AggregationPolicy.MAX));
        if (BenchMetrics.allocatedBytesPerOp >= 0) {
            out.add(new ScalarResult(ALLOCATED, BenchMetrics.allocatedBytesPerOp / (1024.0 * 1024.0), "MiB",
                    AggregationPolicy.MAX));
        }
        if (!Double.isNaN(BenchMetrics.gemmMs)) {
            out.add(new ScalarResult(GEMM, BenchMetrics.gemmMs, "ms", AggregationPolicy.AVG));
        }
        return out;
    }

    /** VmHWM of this process in KiB, or -1 where /proc is not available. */
    public static long peakRssKiB() {
        return procStatus("VmHWM:");
    }

    /** VmRSS of this process in KiB, or -1. */
    public static long rssKiB() {
        return procStatus("VmRSS:");
    }

    private static long procStatus(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
