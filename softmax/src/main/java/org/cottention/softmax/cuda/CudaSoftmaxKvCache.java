package org.cottention.softmax.cuda;

import org.cottention.api.DecodingState;
import org.cottention.api.Nd;
import org.cottention.softmax.cuda.SoftmaxKernels.Form;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A KV cache for softmax decoding with the GPU kernels: keys, values and the mask so far are kept on the host
 * (growing with every token, like the CPU SoftmaxKvCache), and each append runs the kernels for the new queries at
 * their offset against every cached key. The copies grow with the position: this is the interface's generation
 * path, not a fast decoder (gpu-check times device-resident decoding directly).
 */
final class CudaSoftmaxKvCache implements DecodingState {
    private final SoftmaxKernels kernels;
    private final Form form;
    private final int batch, heads, keyDim, valueDim;
    private float[][] keys, values; // per batch row (N*H): (position, d) row-major
    private float[][] mask;         // per sequence: (position)
    private int position;

    CudaSoftmaxKvCache(SoftmaxKernels kernels, Form form, int batch, int heads, int keyDim, int valueDim) {
        this.kernels = kernels;
        this.form = form;
        this.batch = batch;
        this.heads = heads;
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        reset();
    }

    @Override
    public INDArray append(INDArray q, INDArray k, INDArray v, INDArray m, INDArray stabilizer) {
        CudaSoftmaxAttention.requireFloat(q.dataType(), CudaSoftmaxAttention.FLASH_NAME);
        int len = (int) q.size(2), rows = batch * heads, total = position + len;
        float[] qf = Nd.toFloats(q), kf = Nd.toFloats(k), vf = Nd.toFloats(v);
        float[] mf = m == null ? null : Nd.toFloats(m);
        for (int b = 0; b < rows; b++) {
            keys[b] = grow(keys[b], kf, b * len * keyDim, len * keyDim);
            values[b] = grow(values[b], vf, b * len * valueDim, len * valueDim);
        }
        for (int n = 0; n < batch; n++) {
            float[] add = new float[len];
            for (int t = 0; t < len; t++) add[t] = mf == null ? 1f : mf[n * len + t];
            mask[n] = grow(mask[n], add, 0, len);
        }
        float[] allK = new float[rows * total * keyDim], allV = new float[rows * total * valueDim], allM = new float[batch * total];
        for (int b = 0; b < rows; b++) {
            System.arraycopy(keys[b], 0, allK, b * total * keyDim, total * keyDim);
            System.arraycopy(values[b], 0, allV, b * total * valueDim, total * valueDim);
        }
        for (int n = 0; n < batch; n++) System.arraycopy(mask[n], 0, allM, n * total, total);
        SoftmaxKernels.Shape shape = new SoftmaxKernels.Shape(batch, heads, len, total, keyDim, valueDim, true, position);
        float[] out = kernels.forward(new SoftmaxKernels.HostInput(shape, qf, allK, allV, allM), form);
        position = total;
        return Nd4j.create(out, new long[] {batch, heads, len, valueDim}, 'c');
    }

    private static float[] grow(float[] old, float[] src, int from, int count) {
        float[] out = java.util.Arrays.copyOf(old, old.length + count);
        System.arraycopy(src, from, out, old.length, count);
        return out;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public long bytes() {
        return (long) batch * heads * position * (keyDim + valueDim) * 4 + (long) batch * position * 4;
    }

    @Override
    public void reset() {
        keys = new float[batch * heads][0];
        values = new float[batch * heads][0];
        mask = new float[batch][0];
        position = 0;
    }
}
