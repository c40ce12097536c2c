package org.cottention.cosine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.cottention.reference.ReferenceCosineAttention;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The ND4J-facing CUDA cosine attention (forward, backward, decoding state) against the reference, on the CPU
 * emulation of the kernels and, where there is one, on the GPU (reported as skipped without a GPU or kernels).
 */
class CudaCosineAttentionTest {
    private static final int N = 2, H = 3, S = 29, DK = 6, DV = 5;

    private static CosineKernels kernels(String device) {
        if (device.equals("emulated")) return new CosineKernels(CosineKernelTwins.device(232448), Precision.F32_SIMT);
        assumeTrue(CudaRuntime.available(), () -> "no CUDA device/driver (" + CudaRuntime.unavailableReason() + ")");
        try {
            return CosineKernels.onGpu(Precision.F32_SIMT);
        } catch (CudaUnavailableException e) {
            assumeTrue(false, e.getMessage());
            throw e;
        }
    }

    private final Random rng = new Random(41);
    private final double[][][][] q = RandomTensors.normal(rng, N, H, S, DK);
    private final double[][][][] k = RandomTensors.normal(rng, N, H, S, DK);
    private final double[][][][] v = RandomTensors.normal(rng, N, H, S, DV);
    private final double[][][][] g = RandomTensors.normal(rng, N, H, S, DV);
    private final double[][] mask = RandomTensors.rightPadded(rng, N, S);
    private final double[] m = RandomTensors.stabilizer(rng, H);

    @ParameterizedTest
    @ValueSource(strings = {"emulated", "gpu"})
    void forwardAndBackwardMatchTheReference(String device) {
        CosineKernels kernels = kernels(device);
        for (boolean causal : new boolean[] {true, false}) {
            Attention attention = new CudaCosineAttention(causal, kernels);
            AttentionInput in = new AttentionInput(Nd.fromArray4(q, DataType.FLOAT), Nd.fromArray4(k, DataType.FLOAT),
                    Nd.fromArray4(v, DataType.FLOAT), Nd.fromArray2(mask, DataType.FLOAT), Nd.fromDoubles(m, DataType.FLOAT, H));
            Attention.Forward f = attention.forward(in);
            AttentionGradients gr = attention.backward(f, Nd.fromArray4(g, DataType.FLOAT));
            Gradients eg = ReferenceCosineAttention.backward(causal, q, k, v, mask, m, g);
            assertEquals(DataType.FLOAT, f.output().dataType());
            close("output", ReferenceCosineAttention.forward(causal, q, k, v, mask, m), f.output());
            close("dq", eg.dq(), gr.dq());
            close("dk", eg.dk(), gr.dk());
            close("dv", eg.dv(), gr.dv());
            assertTrue(RandomTensors.relativeError(Nd.toDoubles(gr.dm()), eg.dm()) < 1e-5, "dm");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"emulated", "gpu"})
    void decodingStateMatchesTheCausalReference(String device) {
        DecodingState state = new CudaCosineAttention(true, kernels(device)).newDecodingState(N, H, DK, DV, DataType.FLOAT);
        long bytes = state.bytes();
        double[][] arbitrary = RandomTensors.arbitrary(new Random(7), N, S);
        double[][][][] expected = ReferenceCosineAttention.forward(true, q, k, v, arbitrary, m);
        for (int round = 0; round < 2; round++) { // the second round after reset()
            double[][][][] got = new double[N][H][S][];
            int start = 0;
            for (int len : new int[] {11, 1, 1, 1, 7, 1, 7}) {
                var range = NDArrayIndex.interval(start, start + len);
                var all = NDArrayIndex.all();
                INDArray o = state.append(Nd.fromArray4(q, DataType.FLOAT).get(all, all, range, all).dup('c'),
                        Nd.fromArray4(k, DataType.FLOAT).get(all, all, range, all).dup('c'),
                        Nd.fromArray4(v, DataType.FLOAT).get(all, all, range, all).dup('c'),
                        Nd.fromArray2(arbitrary, DataType.FLOAT).get(all, range).dup('c'), Nd.fromDoubles(m, DataType.FLOAT, H));
                double[][][][] piece = Nd.toArray4(o);
                for (int b = 0; b < N; b++) for (int h = 0; h < H; h++) for (int t = 0; t < len; t++) got[b][h][start + t] = piece[b][h][t];
                start += len;
            }
            assertEquals(S, state.position());
            assertEquals(bytes, state.bytes());
            assertTrue(RandomTensors.relativeError(got, expected) < 1e-5, "decoded outputs");
            state.reset();
        }
    }

    @Test
    void refusesFloat64() {
        Attention attention = new CudaCosineAttention(true, kernels("emulated"));
        AttentionInput in = AttentionInput.of(Nd.fromArray4(q, DataType.DOUBLE), Nd.fromArray4(k, DataType.DOUBLE),
                Nd.fromArray4(v, DataType.DOUBLE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> attention.forward(in));
        assertTrue(e.getMessage().contains("float32"), e.getMessage());
    }

    @Test
    void withoutAGpuCreationNamesTheCpuImplementation() {
        assumeFalse(CudaRuntime.available(), "a GPU is present");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> new CudaCosineAttention(true));
        assertTrue(e.getMessage().startsWith("cuda-cosine-chunked: no CUDA device/driver: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("use the CPU implementation cosine-chunked"), e.getMessage());
    }

    private static void close(String what, double[][][][] expected, INDArray actual) {
        double err = RandomTensors.relativeError(Nd.toArray4(actual), expected);
        assertTrue(err < 1e-5, what + " relative error " + err);
    }
}
