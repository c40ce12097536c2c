package org.cottention.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.blas.Blas;
import org.nd4j.linalg.factory.Nd4j;

/** BLAS goes single-threaded only around bodies whose products OpenBLAS would thread itself, and comes back. */
class KernelThreadsTest {

    private static Set<Integer> blasThreadsSeen(long largestProduct) {
        Blas blas = Nd4j.factory().blas();
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        KernelThreads.forEachWithBlas(8, largestProduct, i -> seen.add(blas.getMaxThreads()));
        return seen;
    }

    @Test
    void largeProductsRunWithSingleThreadedBlasAndTheSettingIsRestored() {
        Blas blas = Nd4j.factory().blas();
        int before = blas.getMaxThreads();
        assumeTrue(KernelThreads.THREADS > 1 && before > 1, "needs several threads");
        assertEquals(Set.of(1), blasThreadsSeen(KernelThreads.SINGLE_THREAD_PRODUCT + 1));
        assertEquals(before, blas.getMaxThreads());
    }

    @Test
    void smallProductsLeaveBlasAlone() {
        int before = Nd4j.factory().blas().getMaxThreads();
        assertEquals(Set.of(before), blasThreadsSeen(64L * 64 * 64));
        assertEquals(262144, KernelThreads.SINGLE_THREAD_PRODUCT, "OpenBLAS 0.3.19: 65536 * GEMM_MULTITHREAD_THRESHOLD (4)");
    }
}
