package org.cottention.cosine;

import org.cottention.api.Attention;
import org.cottention.api.AttentionInput;
import org.cottention.cosine.cuda.CosineKernelTwins;
import org.cottention.cosine.cuda.CosineKernels;
import org.cottention.cosine.cuda.CudaCosineAttention;
import org.cottention.cuda.Precision;
import org.cottention.kernels.WorkingBytes;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every cosine form's memory estimate ({@link Attention#workingBytes}) against what its forward and forward +
 * backward allocate (an AllocationRecorder counts it): at least that, at most twice that plus a few KiB.
 */
class WorkingBytesTest {
    /** (N, H, s, dk, dv, chunk): long and short, dk != dv, s < dk (the linear form's quadratic switch), C > s. */
    private static final int[][] SHAPES = {{1, 2, 300, 16, 16, 32}, {2, 3, 129, 24, 8, 64}, {1, 1, 10, 32, 32, 128},
        {2, 4, 1000, 8, 12, 16}};

    @Test
    void everyFormAllocatesWhatItEstimates() {
        CosineKernels twins = new CosineKernels(CosineKernelTwins.device(232448), Precision.F32_SIMT);
        for (int[] sh : SHAPES) {
            for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                for (boolean masked : dt == DataType.FLOAT ? new boolean[] {false, true} : new boolean[] {true}) {
                    AttentionInput in = input(sh, dt, masked);
                    INDArray g = Nd4j.randn(dt, sh[0], sh[1], sh[2], sh[4]);
                    String label = String.format("N=%d H=%d s=%d dk=%d dv=%d C=%d %s%s", sh[0], sh[1], sh[2], sh[3],
                            sh[4], sh[5], dt, masked ? " masked" : "");
                    WorkingBytes.check("cosine-linear " + label, new BidirectionalCosineAttention(), in, g);
                    WorkingBytes.check("cosine-linear forced " + label,
                            new BidirectionalCosineAttention(BidirectionalCosineAttention.Order.LINEAR), in, g);
                    WorkingBytes.check("cosine-quadratic causal " + label, new QuadraticCosineAttention(true), in, g);
                    WorkingBytes.check("cosine-quadratic " + label, new QuadraticCosineAttention(false), in, g);
                    WorkingBytes.check("cosine-chunked " + label, new ChunkedCausalCosineAttention(sh[5]), in, g);
                    if (dt == DataType.FLOAT && sh[2] <= 300) {
                        WorkingBytes.check("cuda-cosine causal (twins) " + label, new CudaCosineAttention(true, twins), in, g);
                        WorkingBytes.check("cuda-cosine (twins) " + label, new CudaCosineAttention(false, twins), in, g);
                    }
                }
            }
        }
    }

    static AttentionInput input(int[] sh, DataType dt, boolean masked) {
        Nd4j.getRandom().setSeed(3);
        INDArray q = Nd4j.randn(dt, sh[0], sh[1], sh[2], sh[3]), k = Nd4j.randn(dt, sh[0], sh[1], sh[2], sh[3]);
        INDArray v = Nd4j.randn(dt, sh[0], sh[1], sh[2], sh[4]);
        INDArray mask = null;
        if (masked) {
            mask = Nd4j.ones(dt, sh[0], sh[2]);
            mask.putScalar(new long[] {0, sh[2] - 1}, 0);
        }
        return new AttentionInput(q, k, v, mask, null);
    }
}
