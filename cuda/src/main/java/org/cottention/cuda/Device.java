package org.cottention.cuda;

/**
 * The kernels of one CUDA module (a fatbin) and the memory they run on: a real GPU through JCuda
 * ({@link CudaRuntime#load}) or the CPU emulation used by the tests ({@code emulation.EmulatedDevice}). The host
 * code that sequences the kernels (CosineKernels, SoftmaxKernels) is written once against this interface, so the
 * emulation checks the very launch sequence, grid shapes and arguments that run on a GPU.
 *
 * <p>Every kernel runs with blocks of {@link #THREADS} threads. Launch arguments are {@link Buffer}s (device
 * pointers; {@code null} for a null pointer), {@link Integer}s, {@link Long}s ({@code long long}) and
 * {@link Float}s, in the order of the kernel's CUDA signature.
 */
public interface Device extends AutoCloseable {
    int THREADS = 256;

    /** ceil(a / b) for positive ints (Math.ceilDiv needs Java 18). */
    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** A device allocation of {@code count} elements; contents undefined until written. */
    interface Buffer extends AutoCloseable {
        ElementType type();

        long count();

        @Override
        void close();
    }

    Buffer alloc(ElementType type, long count);

    /** F32 or BF16 buffer from float32 values (BF16 rounds to nearest even); src.length must equal count. */
    void upload(Buffer dst, float[] src);

    void upload(Buffer dst, double[] src);

    /** F32 or BF16 buffer to float32 values. */
    void download(Buffer src, float[] dst);

    /** A new buffer of the given type holding values (BF16 rounds). */
    default Buffer upload(ElementType type, float[] values) {
        Buffer b = alloc(type, values.length);
        try {
            upload(b, values);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** The values of an F32 or BF16 buffer as a new float32 array. */
    default float[] download(Buffer src) {
        float[] out = new float[Math.toIntExact(src.count())];
        download(src, out);
        return out;
    }

    void download(Buffer src, double[] dst);

    /** Sets every element to zero. */
    void zero(Buffer dst);

    /** Launches a kernel by name on a (x, y) grid of blocks of THREADS threads with the given dynamic shared memory. */
    void launch(String kernel, int gridX, int gridY, int sharedBytes, Object... args);

    /** Dynamic shared memory the kernel's tile layout needs, in bytes (its {@code <name>_smem} global). */
    int sharedBytes(String kernel);

    /** Device memory free now, in bytes. */
    long freeMemoryBytes();

    /** The most dynamic shared memory one block may use on this device. */
    int maxSharedBytes();

    /** Waits for every launched kernel and reports an asynchronous error, if any. */
    void synchronize();

    /**
     * With {@code on}, every launch waits for its kernel, so that an asynchronous fault (an illegal address) is
     * reported with the name of the kernel that caused it; for validation runs, not for timing.
     */
    default void checkEachLaunch(boolean on) {}

    /** Runs body between two GPU events and returns the milliseconds between them (wall time when emulated). */
    double timeMillis(Runnable body);

    /** One line: what this device is. */
    String description();

    @Override
    void close();
}
