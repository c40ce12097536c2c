package org.cottention.softmax;

import org.cottention.api.Attention;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionShape;
import org.cottention.cuda.Precision;
import org.cottention.kernels.AllocationRecorder;
import org.cottention.kernels.WorkingBytes;
import org.cottention.softmax.cuda.CudaSoftmaxAttention;
import org.cottention.softmax.cuda.SoftmaxKernelTwins;
import org.cottention.softmax.cuda.SoftmaxKernels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every softmax form's memory estimate ({@link Attention#workingBytes}, and {@code dropoutBytes} on top with a
 * rate) against what its forward and forward + backward allocate: at least that, at most twice that plus a few KiB.
 */
class WorkingBytesTest {
    private static final int[][] SHAPES = {{1, 2, 300, 16, 16}, {2, 3, 129, 24, 8}, {1, 1, 10, 32, 32}, {2, 2, 700, 8, 12}};

    @Test
    void everyFormAllocatesWhatItEstimates() {
        SoftmaxKernels twins = new SoftmaxKernels(SoftmaxKernelTwins.device(232448), Precision.F32_SIMT);
        for (int[] sh : SHAPES) {
            for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                for (boolean masked : dt == DataType.FLOAT ? new boolean[] {false, true} : new boolean[] {true}) {
                    AttentionInput in = input(sh, dt, masked);
                    INDArray g = Nd4j.randn(dt, sh[0], sh[1], sh[2], sh[4]);
                    String label = String.format("N=%d H=%d s=%d dk=%d dv=%d %s%s", sh[0], sh[1], sh[2], sh[3], sh[4], dt,
                            masked ? " masked" : "");
                    for (boolean causal : new boolean[] {false, true}) {
                        String mode = causal ? " causal " : " ";
                        WorkingBytes.check("softmax-materialized" + mode + label, new SoftmaxAttention(causal), in, g);
                        dropout("softmax-materialized dropout" + mode + label, new SoftmaxAttention(causal), in, g);
                        if (dt == DataType.FLOAT && sh[2] <= 129) {
                            for (SoftmaxKernels.Form form : SoftmaxKernels.Form.values()) {
                                WorkingBytes.check("cuda-softmax " + form + " (twins)" + mode + label,
                                        new CudaSoftmaxAttention(form, causal, twins), in, g);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void dropout(String label, SoftmaxAttention a, AttentionInput in, INDArray g) {
        AttentionShape shape = AttentionShape.of(in);
        AllocationRecorder ws = new AllocationRecorder("working-bytes-dropout");
        long measured;
        try (AllocationRecorder rec = ws.open()) {
            a.backward(a.forward(in, 0.1, 5), g);
            measured = rec.totalBytes();
        }
        ws.destroyWorkspace(true);
        WorkingBytes.assertWithin(label, a.workingBytes(shape, true) + a.dropoutBytes(shape), measured);
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
