package org.cottention.softmax.cuda;

import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionKind;
import org.cottention.api.AttentionShape;
import org.cottention.api.DecodingState;
import org.cottention.api.Nd;
import org.cottention.cuda.CudaUnavailableException;
import org.cottention.cuda.GpuKernels;
import org.cottention.softmax.SoftmaxAttention;
import org.cottention.softmax.cuda.SoftmaxKernels.Form;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Softmax attention on the GPU through {@link SoftmaxKernels}: "cuda-softmax-naive" (materialised probabilities,
 * the paper's baseline) and "cuda-softmax-flash" (tiled online softmax). Each call copies its ND4J inputs to the
 * device and the results back; the backward reruns the forward on the device. float32 only; the product
 * precision is {@code -Dcottention.cuda.precision} (f32-simt by default; bf16-tf32 for the flash form only).
 */
public final class CudaSoftmaxAttention implements Attention {
    public static final String NAIVE_NAME = "cuda-softmax-naive";
    public static final String FLASH_NAME = "cuda-softmax-flash";

    private final Form form;
    private final boolean causal;
    private final SoftmaxKernels kernels;

    /** On the GPU; throws {@link CudaUnavailableException} (naming the CPU implementation to use) without one. */
    public CudaSoftmaxAttention(Form form, boolean causal) {
        this(form, causal, gpuKernels(form));
    }

    /** On the given kernels (the tests pass an emulated device). */
    public CudaSoftmaxAttention(Form form, boolean causal, SoftmaxKernels kernels) {
        this.form = form;
        this.causal = causal;
        this.kernels = kernels;
    }

    private static final GpuKernels<SoftmaxKernels> GPU = new GpuKernels<>(SoftmaxKernels::onGpu);

    private static SoftmaxKernels gpuKernels(Form form) {
        return GPU.get(nameOf(form), SoftmaxAttention.NAME);
    }

    private static String nameOf(Form form) {
        return form == Form.NAIVE ? NAIVE_NAME : FLASH_NAME;
    }

    @Override
    public String name() {
        return nameOf(form);
    }

    @Override
    public AttentionKind kind() {
        return AttentionKind.SOFTMAX;
    }

    @Override
    public boolean causal() {
        return causal;
    }

    private record CudaForward(SoftmaxKernels.HostInput input, INDArray output) implements Forward {}

    @Override
    public Forward forward(AttentionInput in) {
        requireFloat(in.dataType(), name());
        SoftmaxKernels.Shape shape = SoftmaxKernels.Shape.self((int) in.batch(), (int) in.heads(), (int) in.length(),
                (int) in.keyDim(), (int) in.valueDim(), causal);
        SoftmaxKernels.HostInput host = new SoftmaxKernels.HostInput(shape, Nd.toFloats(in.q()), Nd.toFloats(in.k()),
                Nd.toFloats(in.v()), in.mask() == null ? null : Nd.toFloats(in.mask()));
        float[] out = kernels.forward(host, form);
        return new CudaForward(host, Nd4j.create(out, new long[] {in.batch(), in.heads(), in.length(), in.valueDim()}, 'c'));
    }

    @Override
    public AttentionGradients backward(Forward forward, INDArray gradOutput) {
        if (!(forward instanceof CudaForward f)) {
            throw new IllegalArgumentException(name() + ": backward needs the Forward returned by its own forward");
        }
        SoftmaxKernels.Shape s = f.input().shape();
        SoftmaxKernels.HostGradients g = kernels.backward(f.input(), Nd.toFloats(gradOutput), form);
        long[] qShape = {s.batch(), s.heads(), s.queries(), s.keyDim()};
        long[] vShape = {s.batch(), s.heads(), s.keys(), s.valueDim()};
        return new AttentionGradients(Nd4j.create(g.dq(), qShape, 'c'), Nd4j.create(g.dk(), qShape, 'c'),
                Nd4j.create(g.dv(), vShape, 'c'), null);
    }

    /**
     * Host memory only (the device's is the GPU's): the float32 copies of q, k, v (and the mask) handed to the
     * kernels and the output (N, H, s, dv); backward: the copy of dL/dO and dq, dk (N, H, s, dk), dv.
     */
    @Override
    public long workingBytes(AttentionShape x, boolean backward) {
        long bs = AttentionShape.times(x.batchHeads(), x.length()), dk = x.keyDim(), dv = x.valueDim();
        long forward = AttentionShape.times(4, AttentionShape.sum(AttentionShape.times(bs, 2 * dk + 2 * dv),
                AttentionShape.times(x.batch(), x.length())));
        if (!backward) return forward;
        return AttentionShape.sum(forward, AttentionShape.times(4, AttentionShape.times(bs, 2 * dk + 2 * dv)));
    }

    @Override
    public DecodingState newDecodingState(int batch, int heads, int keyDim, int valueDim, DataType dataType) {
        if (!causal) return Attention.super.newDecodingState(batch, heads, keyDim, valueDim, dataType);
        requireFloat(dataType, name());
        return new CudaSoftmaxKvCache(kernels, form, batch, heads, keyDim, valueDim);
    }

    static void requireFloat(DataType dt, String name) {
        if (dt != DataType.FLOAT) {
            throw new IllegalArgumentException(name + " computes in float32, got " + dt + " inputs; cast them, or use "
                    + "the CPU implementation " + SoftmaxAttention.NAME + " for " + dt);
        }
    }
}
