package org.cottention.cosine.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.Random;
import org.cottention.api.Attention;
import org.cottention.api.AttentionInput;
import org.cottention.api.Nd;
import org.cottention.cuda.CudaRuntime;
import org.cottention.cuda.CudaUnavailableException;
import org.cottention.cuda.Precision;
import org.cottention.reference.RandomTensors;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The CUDA cosine attention's own checks. Its forward, backward and decoding state against the reference, on the
 * kernels' CPU twins and on a GPU, are among the forms of CosineAttentionFormsTest.
 */
class CudaCosineAttentionTest {

    @Test
    void refusesFloat64() {
        Attention attention = new CudaCosineAttention(true, new CosineKernels(CosineKernelTwins.device(232448),
                Precision.F32_SIMT));
        Random rng = new Random(41);
        AttentionInput in = AttentionInput.of(Nd.fromArray4(RandomTensors.normal(rng, 1, 1, 5, 4), DataType.DOUBLE),
                Nd.fromArray4(RandomTensors.normal(rng, 1, 1, 5, 4), DataType.DOUBLE),
                Nd.fromArray4(RandomTensors.normal(rng, 1, 1, 5, 4), DataType.DOUBLE));
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
}
