package org.cottention.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.blas.Blas;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

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

    /**
     * OpenBLAS (0.3.19, as ND4J ships it) runs a product of m*n*k multiply-adds on one thread when m*n*k is at most
     * 65536 * GEMM_MULTITHREAD_THRESHOLD, and on its thread pool above that (interface/gemm.c).
     */
    public static final long SINGLE_THREAD_PRODUCT = 65536L * openblas_nolapack.OPENBLAS_GEMM_MULTITHREAD_THRESHOLD;

    /** Runs body(i) for i in [0, count): in parallel when there are several heads and threads. The body calls no BLAS. */
    public static void forEach(int count, IntConsumer body) {
        if (POOL == null || count == 1) {
            for (int i = 0; i < count; i++) body.accept(i);
        } else {
            POOL.submit(() -> IntStream.range(0, count).parallel().forEach(body)).join();
        }
    }

    /**
     * As {@link #forEach}, for a body whose BLAS products have at most largestProduct = m*n*k multiply-adds each.
     * Products above {@link #SINGLE_THREAD_PRODUCT}, called from two of these threads at once, contend for
     * OpenBLAS's thread pool (measured here: chunk 128 at s = 1024 went from 27 to 162 ms), so for those BLAS is
     * set to one thread for the duration. Setting it costs 0.2 to 1 ms per call (measured), as much as a
     * whole head's work at s = 1024, so smaller products (chunk and head size 64 and below) skip it.
     */
    public static void forEachWithBlas(int count, long largestProduct, IntConsumer body) {
        if (POOL == null || count == 1 || largestProduct <= SINGLE_THREAD_PRODUCT) {
            forEach(count, body);
            return;
        }
        Blas blas = Nd4j.factory().blas();
        int blasThreads = blas.getMaxThreads();
        blas.setMaxThreads(1);
        try {
            forEach(count, body);
        } finally {
            blas.setMaxThreads(blasThreads);
        }
    }

    /**
     * Sets the threads of the libraries under the kernels: ND4J's op threads, libnd4j's OpenMP and OpenBLAS (what
     * OMP_NUM_THREADS sets at start-up). The per-head pool above keeps its size.
     */
    public static void setLibraryThreads(int n) {
        Nd4j.getEnvironment().setMaxThreads(n);
        Nd4j.getEnvironment().setMaxMasterThreads(n);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(n);
        Nd4j.factory().blas().setMaxThreads(n);
    }

    /** The thread settings in effect, for every printed figure. */
    public static String libraryThreadsText() {
        String omp = System.getenv("OMP_NUM_THREADS");
        return String.format("threads: ND4J %d, OpenMP %d, OpenBLAS %d (OMP_NUM_THREADS=%s)",
                Nd4j.getEnvironment().maxMasterThreads(), NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads(),
                Nd4j.factory().blas().getMaxThreads(), omp == null ? "unset" : omp);
    }
}
