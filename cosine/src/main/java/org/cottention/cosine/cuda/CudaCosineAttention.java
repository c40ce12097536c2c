package org.cottention.cosine.cuda;

import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionKind;
import org.cottention.api.AttentionShape;
import org.cottention.api.DecodingState;
import org.cottention.api.Nd;
import org.cottention.api.StabilisedAttention;
import org.cottention.cosine.BidirectionalCosineAttention;
import org.cottention.cosine.ChunkedCausalCosineAttention;
import org.cottention.cuda.CudaUnavailableException;
import org.cottention.cuda.GpuKernels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Cosine attention on the GPU through the kernels of {@link CosineKernels}: "cuda-cosine-chunked" (causal, chunked
 * form) and "cuda-cosine-linear" (bidirectional, Qh (Kh^T Vh)). Each call copies its ND4J inputs to the device,
 * runs, and copies the results back; the backward recomputes the forward's chunk states instead of keeping device
 * memory alive between calls. float32 only (inputs of another dtype are refused with a pointer to the CPU
 * implementation); the product precision is {@code -Dcottention.cuda.precision} (f32-simt by default, f32-tf32x3,
 * bf16-tf32: inputs rounded to bfloat16 on upload).
 */
public final class CudaCosineAttention implements StabilisedAttention {
    public static final String CAUSAL_NAME = "cuda-cosine-chunked";
    public static final String BIDIRECTIONAL_NAME = "cuda-cosine-linear";

    private final boolean causal;
    private final CosineKernels kernels;

    /** On the GPU; throws {@link CudaUnavailableException} (naming the CPU implementation to use) without one. */
    public CudaCosineAttention(boolean causal) {
        this(causal, gpuKernels(causal));
    }

    /** On the given kernels (the tests pass an emulated device). */
    public CudaCosineAttention(boolean causal, CosineKernels kernels) {
        this.causal = causal;
        this.kernels = kernels;
    }

    private static final GpuKernels<CosineKernels> GPU = new GpuKernels<>(CosineKernels::onGpu);

    private static CosineKernels gpuKernels(boolean causal) {
        return GPU.get(causal ? CAUSAL_NAME : BIDIRECTIONAL_NAME,
                causal ? ChunkedCausalCosineAttention.NAME : BidirectionalCosineAttention.NAME);
    }

    @Override
    public String name() {
        return causal ? CAUSAL_NAME : BIDIRECTIONAL_NAME;
    }

    @Override
    public AttentionKind kind() {
        return AttentionKind.COSINE;
    }

    @Override
    public boolean causal() {
        return causal;
    }

    private record CudaForward(CosineKernels.HostInput input, INDArray output) implements Forward {}

    @Override
    public Forward forward(AttentionInput in) {
        CosineKernels.HostInput host = hostInput(in, causal, name());
        float[] out = kernels.forward(host);
        return new CudaForward(host, Nd4j.create(out, new long[] {in.batch(), in.heads(), in.length(), in.valueDim()}, 'c'));
    }

    @Override
    public AttentionGradients backward(Forward forward, INDArray gradOutput) {
        if (!(forward instanceof CudaForward f)) {
            throw new IllegalArgumentException(name() + ": backward needs the Forward returned by its own forward");
        }
        CosineKernels.Shape s = f.input().shape();
        CosineKernels.HostGradients g = kernels.backward(f.input(), Nd.toFloats(gradOutput));
        long[] qShape = {s.batch(), s.heads(), s.length(), s.keyDim()};
        long[] vShape = {s.batch(), s.heads(), s.length(), s.valueDim()};
        float[] dm = new float[s.heads()];
        for (int h = 0; h < dm.length; h++) dm[h] = (float) g.dm()[h];
        return new AttentionGradients(Nd4j.create(g.dq(), qShape, 'c'), Nd4j.create(g.dk(), qShape, 'c'),
                Nd4j.create(g.dv(), vShape, 'c'), Nd4j.create(dm, new long[] {s.heads()}, 'c'));
    }

    /**
     * Host memory only (the device's is the GPU's): the float32 copies of q, k, v (and the mask) handed to the
     * kernels and the output (N, H, s, dv); backward: the copy of dL/dO and dq, dk (N, H, s, dk), dv, dm.
     */
    @Override
    public long workingBytes(AttentionShape x, boolean backward) {
        long bs = AttentionShape.times(x.batchHeads(), x.length()), dk = x.keyDim(), dv = x.valueDim();
        long forward = AttentionShape.times(4, AttentionShape.sum(AttentionShape.times(bs, 2 * dk + 2 * dv),
                AttentionShape.times(x.batch(), x.length())));
        if (!backward) return forward;
        return AttentionShape.sum(forward, AttentionShape.times(4, AttentionShape.sum(AttentionShape.times(bs, 2 * dk + 2 * dv),
                x.heads())));
    }

    @Override
    public DecodingState newDecodingState(int batch, int heads, int keyDim, int valueDim, DataType dataType) {
        if (!causal) return StabilisedAttention.super.newDecodingState(batch, heads, keyDim, valueDim, dataType);
        requireFloat(dataType, name());
        return new CudaCosineDecodingState(kernels, batch, heads, keyDim, valueDim);
    }

    /** The inputs as host float arrays, checked to be float32. */
    static CosineKernels.HostInput hostInput(AttentionInput in, boolean causal, String name) {
        requireFloat(in.dataType(), name);
        CosineKernels.Shape shape = new CosineKernels.Shape((int) in.batch(), (int) in.heads(), (int) in.length(),
                (int) in.keyDim(), (int) in.valueDim(), causal);
        double[] m = in.stabilizer();
        float[] mf = new float[m.length];
        for (int h = 0; h < m.length; h++) mf[h] = (float) m[h];
        return new CosineKernels.HostInput(shape, Nd.toFloats(in.q()), Nd.toFloats(in.k()), Nd.toFloats(in.v()),
                in.mask() == null ? null : Nd.toFloats(in.mask()), mf);
    }

    static void requireFloat(DataType dt, String name) {
        if (dt != DataType.FLOAT) {
            throw new IllegalArgumentException(name + " computes in float32, got " + dt + " inputs; cast them, or use "
                    + "the CPU implementation for " + dt);
        }
    }
}
