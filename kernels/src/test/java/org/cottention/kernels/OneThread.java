package org.cottention.kernels;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Runs a test class with one ND4J/OpenBLAS thread and restores the previous setting afterwards. The model tests use
 * tiny shapes where threads only add synchronisation; on a shared 2-core machine two OpenMP threads were measured
 * ~10x slower than one for such shapes (docs/models.md).
 */
public final class OneThread implements BeforeAllCallback, AfterAllCallback {
    private int master, omp, blas;

    @Override
    public void beforeAll(ExtensionContext context) {
        master = Nd4j.getEnvironment().maxMasterThreads();
        omp = NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
        blas = Nd4j.factory().blas().getMaxThreads();
        KernelThreads.setLibraryThreads(1);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Nd4j.getEnvironment().setMaxMasterThreads(master);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(omp);
        Nd4j.factory().blas().setMaxThreads(blas);
    }
}
