package org.cottention.harness.attention;

import org.cottention.api.AttentionInput;
import org.cottention.kernels.WorkingBytes;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The reference attentions' memory estimates against what their forward and forward + backward allocate. */
class ReferenceWorkingBytesTest {
    @Test
    void theOraclesAllocateWhatTheyEstimate() {
        int[][] shapes = {{1, 2, 40, 8, 8}, {2, 1, 17, 6, 3}};
        for (int[] sh : shapes) {
            for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                Nd4j.getRandom().setSeed(2);
                INDArray q = Nd4j.randn(dt, sh[0], sh[1], sh[2], sh[3]), k = Nd4j.randn(dt, sh[0], sh[1], sh[2], sh[3]);
                INDArray v = Nd4j.randn(dt, sh[0], sh[1], sh[2], sh[4]), g = Nd4j.randn(dt, sh[0], sh[1], sh[2], sh[4]);
                AttentionInput in = new AttentionInput(q, k, v, null, null);
                for (boolean causal : new boolean[] {false, true}) {
                    String label = String.format("N=%d H=%d s=%d dk=%d dv=%d %s causal=%s", sh[0], sh[1], sh[2], sh[3],
                            sh[4], dt, causal);
                    WorkingBytes.check("cosine-reference " + label, ReferenceAttention.cosine(causal), in, g);
                    WorkingBytes.check("softmax-reference " + label, ReferenceAttention.softmax(causal), in, g);
                }
            }
        }
    }
}
