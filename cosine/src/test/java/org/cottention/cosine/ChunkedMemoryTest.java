package org.cottention.cosine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cottention.api.Attention;
import org.cottention.api.AttentionInput;
import org.cottention.kernels.AllocationRecorder;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Causal chunked cosine attention allocates nothing of size s x s or s x dk x dv in forward + backward: every
 * allocation is recorded by a workspace, and the largest must stay below both. The shape is chosen so that the
 * allowed buffers (s d, s C, (s / C) d^2 values) are all far smaller than the forbidden ones.
 */
class ChunkedMemoryTest {

    @Test
    void forwardAndBackwardAllocateNoQuadraticOrCubicBuffer() {
        int n = 1, h = 2, s = 4096 + 17, d = 32, chunk = 32;  // s not a multiple of C, with padding
        long sPad = (s + chunk - 1) / chunk * chunk;
        Nd4j.getRandom().setSeed(7);
        INDArray q = Nd4j.randn(DataType.FLOAT, n, h, s, d), k = Nd4j.randn(DataType.FLOAT, n, h, s, d);
        INDArray v = Nd4j.randn(DataType.FLOAT, n, h, s, d), g = Nd4j.randn(DataType.FLOAT, n, h, s, d);
        INDArray mask = Nd4j.ones(DataType.FLOAT, n, s);
        mask.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(s - 100, s)).assign(0);
        Attention attention = new ChunkedCausalCosineAttention(chunk);

        long largest, total;
        try (AllocationRecorder rec = new AllocationRecorder("memory-test").open()) {
            Attention.Forward f = attention.forward(new AttentionInput(q, k, v, mask, null));
            attention.backward(f, g);
            largest = rec.largestBytes();
            total = rec.totalBytes();
            assertTrue(rec.allocations() > 10, "the recorder saw the allocations: " + rec.allocations());
        }
        long bytes = 4, heads = (long) n * h;
        long quadratic = heads * s * s * bytes;          // one s x s buffer over all heads
        long cubic = heads * s * d * d * bytes;          // one s x dk x dv buffer over all heads
        long linear = heads * sPad * Math.max(d, chunk) * bytes;  // what the largest allowed buffer holds
        System.out.printf("chunked cosine fwd+bwd, N=%d H=%d s=%d d=%d C=%d: largest allocation %d B, total %d B; "
                + "s*s buffer would be %d B, s*d*d %d B%n", n, h, s, d, chunk, largest, total, quadratic, cubic);
        assertTrue(largest <= linear, "largest allocation " + largest + " B exceeds O(s*max(d,C)) = " + linear + " B");
        assertTrue(largest < quadratic / 16 && largest < cubic / 16, "largest allocation " + largest + " B");
    }

    @Test
    void quadraticFormDoesAllocateSquareBuffers() {
        // The recorder would catch one: the quadratic order materialises s x s per head.
        int s = 512, d = 16;
        INDArray x = Nd4j.randn(DataType.FLOAT, 1, 1, s, d);
        try (AllocationRecorder rec = new AllocationRecorder("memory-test").open()) {
            Attention a = new QuadraticCosineAttention(true);
            a.backward(a.forward(new AttentionInput(x, x, x, null, null)), x);
            assertTrue(rec.largestBytes() >= (long) s * s * 4, "largest " + rec.largestBytes());
        }
    }
}
