package org.cottention.cuda;

import java.util.function.Function;

/**
 * The kernel set of one attention family on this process's GPU, created on first use and shared by every
 * instance of that family: what the ND4J-facing CUDA attentions (cosine and softmax) both need. Without a GPU, or
 * without the family's kernels, creation fails with a {@link CudaUnavailableException} that names the
 * implementation asked for and the CPU implementation to use instead.
 *
 * @param <K> the family's host-side kernel class (CosineKernels, SoftmaxKernels)
 */
public final class GpuKernels<K> {
    /** The system property that picks the product precision: f32-simt (default), f32-tf32x3 or bf16-tf32. */
    public static final String PRECISION_PROPERTY = "cottention.cuda.precision";

    private final Function<Precision, K> onGpu;
    private K kernels;

    /** onGpu: the family's factory on the GPU at a precision (throws CudaUnavailableException without one). */
    public GpuKernels(Function<Precision, K> onGpu) {
        this.onGpu = onGpu;
    }

    /** The precision {@value #PRECISION_PROPERTY} asks for; f32-simt when it is not set. */
    public static Precision precision() {
        return Precision.parse(System.getProperty(PRECISION_PROPERTY, Precision.F32_SIMT.label()));
    }

    /** The shared kernels, created at {@link #precision()} on the first call. */
    public synchronized K get(String implementation, String cpuAlternative) {
        if (kernels == null) {
            try {
                kernels = onGpu.apply(precision());
            } catch (CudaUnavailableException e) {
                throw new CudaUnavailableException(implementation + ": " + e.getMessage() + "; use the CPU implementation "
                        + cpuAlternative);
            }
        }
        return kernels;
    }
}
