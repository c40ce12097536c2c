package org.cottention.harness.model;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs a test class with one ND4J/OpenBLAS thread and restores the previous setting afterwards. The model tests use
 * tiny shapes where threads only add synchronisation; on a shared 2-core machine two OpenMP threads were measured
 * ~10x slower than one for such shapes (docs/models.md).
 */
public final class OneThread implements BeforeAllCallback, AfterAllCallback {
    private int nd4j, master, blas;

    @Override
    public void beforeAll(ExtensionContext context) {
        nd4j = Nd4j.getEnvironment().maxThreads();
        master = Nd4j.getEnvironment().maxMasterThreads();
        blas = Nd4j.factory().blas().getMaxThreads();
        Nd4j.getEnvironment().setMaxThreads(1);
        Nd4j.getEnvironment().setMaxMasterThreads(1);
        Nd4j.factory().blas().setMaxThreads(1);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Nd4j.getEnvironment().setMaxThreads(nd4j);
        Nd4j.getEnvironment().setMaxMasterThreads(master);
        Nd4j.factory().blas().setMaxThreads(blas);
    }
}
