package org.cottention.harness.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.cottention.api.AttentionKind;
import org.cottention.cuda.CudaRuntime;
import org.cottention.cuda.CudaUnavailableException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** The CUDA entries of the registry without a GPU: a clear error on creation, and "auto" falls back to the CPU. */
class CudaRegistryTest {

    @Test
    void cudaEntriesAreListedAsGpuImplementations() {
        for (String name : new String[] {"cuda-cosine-chunked", "cuda-cosine-linear", "cuda-softmax-naive", "cuda-softmax-flash"}) {
            assertTrue(AttentionRegistry.find(name).orElseThrow().gpu(), name);
        }
        assertTrue(AttentionRegistry.all().stream().filter(e -> !e.name().startsWith("cuda-")).noneMatch(AttentionRegistry.Entry::gpu));
    }

    @Test
    void withoutAGpuCreationFailsWithTheCpuAlternativeAndAutoFallsBack() {
        assumeFalse(CudaRuntime.available(), "a GPU is present");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> AttentionRegistry.find("cuda-softmax-naive").orElseThrow().create(true, 64));
        assertTrue(e.getMessage().contains("use the CPU implementation softmax-materialized"), e.getMessage());
        assertEquals("cosine-chunked", AttentionRegistry.fastest(AttentionKind.COSINE, true, DataType.FLOAT).name());
        assertEquals("cosine-linear", AttentionRegistry.fastest(AttentionKind.COSINE, false, DataType.FLOAT).name());
        assertEquals("softmax-materialized", AttentionRegistry.fastest(AttentionKind.SOFTMAX, true, DataType.DOUBLE).name());
    }
}
