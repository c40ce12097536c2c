package org.cottention.softmax.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.DecodingState;
import org.cottention.api.Nd;
import org.cottention.api.cuda.CudaRuntime;
import org.cottention.api.cuda.CudaUnavailableException;
import org.cottention.api.cuda.Precision;
import org.cottention.reference.Gradients;
import org.cottention.reference.RandomTensors;
import org.cottention.reference.ReferenceSoftmaxAttention;
import org.cottention.softmax.cuda.SoftmaxKernels.Form;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The ND4J-facing CUDA softmax attention (naive and flash; forward, backward, KV cache) against the reference, on
 * the CPU emulation of the kernels and, where there is one, on the GPU (skipped without a GPU or kernels).
 */
class CudaSoftmaxAttentionTest {
    private static final int N = 2, H = 3, S = 29, DK = 6, DV = 5;

    private static SoftmaxKernels kernels(String device) {
        if (device.equals("emulated")) return new SoftmaxKernels(SoftmaxKernelTwins.device(232448), Precision.F32_SIMT);
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device/driver (" + CudaRuntime.unavailableReason() + ")");
        try {
            return SoftmaxKernels.onGpu(Precision.F32_SIMT);
        } catch (CudaUnavailableException e) {
            assumeTrue(false, e.getMessage());
            throw e;
        }
    }

    private final Random rng = new Random(43);
    private final double[][][][] q = RandomTensors.normal(rng, N, H, S, DK);
    private final double[][][][] k = RandomTensors.normal(rng, N, H, S, DK);
    private final double[][][][] v = RandomTensors.normal(rng, N, H, S, DV);
    private final double[][][][] g = RandomTensors.normal(rng, N, H, S, DV);
    private final double[][] mask = RandomTensors.arbitrary(rng, N, S);

    @ParameterizedTest
    @ValueSource(strings = {"emulated", "gpu"})
    void forwardBackwardAndKvCacheMatchTheReference(String device) {
        SoftmaxKernels kernels = kernels(device);
        for (Form form : Form.values()) {
            for (boolean causal : new boolean[] {true, false}) {
                Attention attention = new CudaSoftmaxAttention(form, causal, kernels);
                AttentionInput in = new AttentionInput(Nd.fromArray4(q, DataType.FLOAT), Nd.fromArray4(k, DataType.FLOAT),
                        Nd.fromArray4(v, DataType.FLOAT), Nd.fromArray2(mask, DataType.FLOAT), null);
                Attention.Forward f = attention.forward(in);
                AttentionGradients gr = attention.backward(f, Nd.fromArray4(g, DataType.FLOAT));
                Gradients eg = ReferenceSoftmaxAttention.backward(causal, q, k, v, mask, g);
                close(form + " output", ReferenceSoftmaxAttention.forward(causal, q, k, v, mask), f.output());
                close(form + " dq", eg.dq(), gr.dq());
                close(form + " dk", eg.dk(), gr.dk());
                close(form + " dv", eg.dv(), gr.dv());
                assertNull(gr.dm());
            }
            DecodingState cache = new CudaSoftmaxAttention(form, true, kernels).newDecodingState(N, H, DK, DV, DataType.FLOAT);
            double[][][][] expected = ReferenceSoftmaxAttention.forward(true, q, k, v, mask);
            double[][][][] got = new double[N][H][S][];
            int start = 0;
            for (int len : new int[] {11, 1, 1, 1, 7, 1, 7}) {
                var range = NDArrayIndex.interval(start, start + len);
                var all = NDArrayIndex.all();
                INDArray o = cache.append(Nd.fromArray4(q, DataType.FLOAT).get(all, all, range, all).dup('c'),
                        Nd.fromArray4(k, DataType.FLOAT).get(all, all, range, all).dup('c'),
                        Nd.fromArray4(v, DataType.FLOAT).get(all, all, range, all).dup('c'),
                        Nd.fromArray2(mask, DataType.FLOAT).get(all, range).dup('c'), null);
                double[][][][] piece = Nd.toArray4(o);
                for (int b = 0; b < N; b++) for (int h = 0; h < H; h++) for (int t = 0; t < len; t++) got[b][h][start + t] = piece[b][h][t];
                start += len;
            }
            assertEquals(S, cache.position());
            assertTrue(RandomTensors.relativeError(got, expected) < 1e-5, form + " KV cache outputs");
        }
    }

    @Test
    void withoutAGpuCreationNamesTheCpuImplementation() {
        assumeFalse(CudaRuntime.available(), "a GPU is present");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> new CudaSoftmaxAttention(Form.FLASH, true));
        assertTrue(e.getMessage().startsWith("cuda-softmax-flash: no CUDA device/driver: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("use the CPU implementation softmax-materialized"), e.getMessage());
    }

    private static void close(String what, double[][][][] expected, INDArray actual) {
        double err = RandomTensors.relativeError(Nd.toArray4(actual), expected);
        assertTrue(err < 1e-5, what + " relative error " + err);
    }
}
