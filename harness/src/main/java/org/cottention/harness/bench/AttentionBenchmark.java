package org.cottention.harness.bench;

import org.cottention.api.Attention;
import org.cottention.api.AttentionInput;
import org.cottention.harness.attention.AttentionRegistry;
import org.cottention.kernels.AllocationRecorder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Forward and forward + backward of one registered attention implementation on random inputs (no padding,
 * m = 0.5), each operation inside a workspace that records what it allocates.
 */
@State(Scope.Benchmark)
public class AttentionBenchmark extends BenchDefaults {
    @Param("cosine-chunked")
    public String impl;
    @Param("true")
    public boolean causal;
    @Param("1")
    public int batch;
    @Param("8")
    public int heads;
    @Param("4096")
    public int length;
    @Param("64")
    public int dim;
    @Param("64")
    public int chunk;
    @Param("float32")
    public String dtype;
    /** Test-only: runs the operation this many times per call (the CI gate's self-check uses 2). */
    @Param("1")
    public int repeat;

    private Attention attention;
    private AttentionInput input;
    private INDArray grad;
    private AllocationRecorder workspace;

    @Setup(Level.Trial)
    public void setUp() {
        DataType dt = dtype.equals("float64") ? DataType.DOUBLE : DataType.FLOAT;
        Nd4j.getRandom().setSeed(42);
        attention = AttentionRegistry.find(impl)
                .orElseThrow(() -> new IllegalArgumentException("unknown impl " + impl)).create(causal, chunk);
        input = new AttentionInput(Nd4j.randn(dt, batch, heads, length, dim), Nd4j.randn(dt, batch, heads, length, dim),
                Nd4j.randn(dt, batch, heads, length, dim), null, null);
        grad = Nd4j.randn(dt, batch, heads, length, dim);
        workspace = new AllocationRecorder("bench-" + impl);
    }

    @Benchmark
    public Object forward() {
        return run(false);
    }

    @Benchmark
    public Object forwardBackward() {
        return run(true);
    }

    private Object run(boolean backward) {
        Object last = null;
        try (AllocationRecorder ws = workspace.open()) {
            for (int r = 0; r < repeat; r++) {
                Attention.Forward f = attention.forward(input);
                last = backward ? attention.backward(f, grad).dq() : f.output();
            }
            BenchMetrics.allocatedBytesPerOp = ws.totalBytes();
        }
        return last;
    }
}
