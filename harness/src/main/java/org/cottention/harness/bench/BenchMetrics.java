package org.cottention.harness.bench;

/**
 * Figures a benchmark records during an iteration, read by {@link BenchProfiler} in the same (forked) JVM:
 * the GEMM probe's time and the bytes one operation allocated.
 */
final class BenchMetrics {
    private BenchMetrics() {}

    static volatile double gemmMs = Double.NaN;
    static volatile long allocatedBytesPerOp = -1;
}
