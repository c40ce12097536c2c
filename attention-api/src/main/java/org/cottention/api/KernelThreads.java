package org.cottention.api;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.blas.Blas;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs the CPU kernels' per-head work on a fixed pool: one task per (sequence, head), single-threaded BLAS inside
 * each (the products are small; parallelism over heads scales better than threading one 64 x 64 product).
 * The pool size is the system property {@code cottention.threads}, else OMP_NUM_THREADS (the same setting ND4J
 * and OpenBLAS read), else the number of processors.
 */
public final class KernelThreads {
    private KernelThreads() {}

    public static final int THREADS = configuredThreads();
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;

    public static int configuredThreads() {
        String p = System.getProperty("cottention.threads");
        if (p == null) p = System.getenv("OMP_NUM_THREADS");
        try {
            if (p != null && Integer.parseInt(p.trim()) > 0) return Integer.parseInt(p.trim());
        } catch (NumberFormatException e) {
            // fall through to the processor count
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** Runs body(i) for i in [0, count): in parallel when there are several heads and threads. */
    public static void forEach(int count, IntConsumer body) {
        Blas blas = Nd4j.factory().blas();
        int blasThreads = blas.getMaxThreads();
        blas.setMaxThreads(1);
        try {
            if (POOL == null || count == 1) {
                for (int i = 0; i < count; i++) body.accept(i);
            } else {
                POOL.submit(() -> IntStream.range(0, count).parallel().forEach(body)).join();
            }
        } finally {
            blas.setMaxThreads(blasThreads);
        }
    }
}
