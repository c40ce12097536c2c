package org.cottention.harness.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JMH defaults every benchmark of the suite shares: sample time (so medians are available), milliseconds,
 * one fork, 3 warm-up and 5 measured iterations of 1 s, and the GEMM probe run before each iteration in the
 * same fork. {@link BenchRunner} may override iterations and adds the JVM flags newer JDKs want.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class BenchDefaults {

    @Setup(Level.Iteration)
    public void probeGemm() {
        BenchMetrics.gemmMs = GemmProbe.measureMs();
    }
}
