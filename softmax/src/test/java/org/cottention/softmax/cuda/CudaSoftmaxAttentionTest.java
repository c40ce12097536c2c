package org.cottention.softmax.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.cottention.cuda.CudaRuntime;
import org.cottention.cuda.CudaUnavailableException;
import org.cottention.softmax.cuda.SoftmaxKernels.Form;
import org.junit.jupiter.api.Test;

/**
 * The CUDA softmax attention's own check. Its naive and flash forward, backward and KV cache against the
 * reference, on the kernels' CPU twins and on a GPU, are among the forms of SoftmaxAttentionFormsTest.
 */
class CudaSoftmaxAttentionTest {

    @Test
    void withoutAGpuCreationNamesTheCpuImplementation() {
        assumeFalse(CudaRuntime.available(), "a GPU is present");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> new CudaSoftmaxAttention(Form.FLASH, true));
        assertTrue(e.getMessage().startsWith("cuda-softmax-flash: no CUDA device/driver: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("use the CPU implementation softmax-materialized"), e.getMessage());
    }
}
