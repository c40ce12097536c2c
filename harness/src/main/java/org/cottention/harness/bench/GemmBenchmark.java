package org.cottention.harness.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** The GEMM probe as a benchmark of its own: the ceiling row of the tables. */
@State(Scope.Benchmark)
public class GemmBenchmark extends BenchDefaults {
    @Benchmark
    public Object gemm() {
        return GemmProbe.multiplyOnce();
    }
}
