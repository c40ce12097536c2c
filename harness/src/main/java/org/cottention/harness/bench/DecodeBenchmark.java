package org.cottention.harness.bench;

import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.cottention.api.DecodingState;
import org.cottention.api.TruncatableState;
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
 * One decoding step (one new token per sequence) at a given position: causal cosine through its recurrent
 * state, softmax through its KV cache. The softmax cache is truncated back to the position after every step, so
 * every measured step sees the same position; the cosine state's cost does not depend on the position.
 */
@State(Scope.Benchmark)
public class DecodeBenchmark extends BenchDefaults {
    @Param("cosine")
    public String kind;
    @Param("4096")
    public int position;
    @Param("1")
    public int batch;
    @Param("8")
    public int heads;
    @Param("64")
    public int dim;
    /** Test-only: runs the step this many times per call (the CI gate's self-check uses 2). */
    @Param("1")
    public int repeat;

    private DecodingState state;
    private INDArray q, k, v;
    private AllocationRecorder workspace;

    @Setup(Level.Trial)
    public void setUp() {
        AttentionKind attentionKind = AttentionKind.valueOf(kind.toUpperCase());
        Attention attention = AttentionRegistry.defaultFor(attentionKind, true).create(true, 64);
        state = attention.newDecodingState(batch, heads, dim, dim, DataType.FLOAT);
        Nd4j.getRandom().setSeed(42);
        int piece = 4096;
        for (int done = 0; done < position; done += piece) {
            int len = Math.min(piece, position - done);
            INDArray kk = Nd4j.randn(DataType.FLOAT, batch, heads, len, dim);
            INDArray vv = Nd4j.randn(DataType.FLOAT, batch, heads, len, dim);
            state.prefill(kk, vv, null, null);
        }
        state.reserve(position + 1);
        q = Nd4j.randn(DataType.FLOAT, batch, heads, 1, dim);
        k = Nd4j.randn(DataType.FLOAT, batch, heads, 1, dim);
        v = Nd4j.randn(DataType.FLOAT, batch, heads, 1, dim);
        workspace = new AllocationRecorder("decode-" + kind);
    }

    @Benchmark
    public Object step() {
        INDArray out = null;
        long bytes = 0;
        for (int r = 0; r < repeat; r++) {
            try (AllocationRecorder ws = workspace.open()) {
                out = state.append(q, k, v, null, null);
                bytes += ws.totalBytes();
            }
            if (state instanceof TruncatableState cache) cache.truncate(position);   // a KV cache stays at `position`
        }
        BenchMetrics.allocatedBytesPerOp = bytes;
        return out;
    }
}
