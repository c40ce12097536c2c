package org.cottention.cosine.cuda;

import java.lang.ref.Cleaner;
import org.cottention.api.DecodingState;
import org.cottention.api.Nd;
import org.cottention.cuda.Device;
import org.cottention.cuda.Device.Buffer;
import org.cottention.cuda.ElementType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Causal cosine attention as an RNN on the GPU (paper §5): the (dv x dk) state of every (sequence, head) stays in
 * device memory in float64 (as the reference's fast_infer); a single token is one cos_decode_step launch, several
 * tokens (a prompt) go through the chunked kernels with the state as initial state. The per-sequence counts of
 * real tokens live on the host. Device memory is released when the state is garbage-collected.
 */
final class CudaCosineDecodingState implements DecodingState {
    private static final Cleaner CLEANER = Cleaner.create();

    /** The device buffer, swapped after a multi-token append; closed by the cleaner. */
    private static final class Holder implements Runnable {
        Buffer state;

        @Override
        public void run() {
            if (state != null) state.close();
        }
    }

    private final CosineKernels kernels;
    private final Device device;
    private final int batch, heads, keyDim, valueDim;
    private final Holder holder = new Holder();
    private double[] counts;
    private long position;

    CudaCosineDecodingState(CosineKernels kernels, int batch, int heads, int keyDim, int valueDim) {
        this.kernels = kernels;
        this.device = kernels.device();
        this.batch = batch;
        this.heads = heads;
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        holder.state = device.alloc(ElementType.F64, stateLength());
        CLEANER.register(this, holder);
        reset();
    }

    private long stateLength() {
        return (long) batch * heads * valueDim * keyDim;
    }

    @Override
    public INDArray append(INDArray q, INDArray k, INDArray v, INDArray mask, INDArray m) {
        CudaCosineAttention.requireFloat(q.dataType(), CudaCosineAttention.CAUSAL_NAME);
        int len = (int) q.size(2);
        if (q.size(0) != batch || q.size(1) != heads || q.size(3) != keyDim || v.size(3) != valueDim) {
            throw new IllegalArgumentException("expected q, k (" + batch + ", " + heads + ", L, " + keyDim
                    + ") and v (..., " + valueDim + ")");
        }
        float[] p = new float[batch * len];
        if (mask == null) java.util.Arrays.fill(p, 1f);
        else p = Nd.toFloats(mask);
        float[] mf = new float[heads];
        for (int h = 0; h < heads; h++) mf[h] = m == null ? 0.5f : m.getFloat(h);
        float[] before = new float[batch];
        for (int b = 0; b < batch; b++) before[b] = (float) counts[b];
        float[] out;
        if (len == 1) {
            float[] after = new float[batch];
            for (int b = 0; b < batch; b++) after[b] = before[b] + p[b];
            try (Buffer qb = upload(Nd.toFloats(q)); Buffer kb = upload(Nd.toFloats(k));
                 Buffer vb = upload(Nd.toFloats(v)); Buffer pb = upload(p); Buffer cb = upload(after);
                 Buffer mb = upload(mf); Buffer ob = device.alloc(ElementType.F32, (long) batch * heads * valueDim)) {
                kernels.decodeStep(batch, heads, keyDim, valueDim, qb, kb, vb, pb, cb, mb, holder.state, ob);
                out = new float[batch * heads * valueDim];
                device.download(ob, out);
            }
        } else {
            // The prompt path: chunked kernels continuing from the device state, writing the final state to a new buffer.
            CosineKernels.Shape shape = new CosineKernels.Shape(batch, heads, len, keyDim, valueDim, true);
            CosineKernels.Plan plan = kernels.plan(shape);
            Buffer next = device.alloc(ElementType.F64, stateLength());
            try (CosineKernels.Workspace w = kernels.workspace(plan, false);
                 Buffer qb = device.upload(kernels.precision().inputType(), Nd.toFloats(q));
                 Buffer kb = device.upload(kernels.precision().inputType(), Nd.toFloats(k));
                 Buffer vb = device.upload(kernels.precision().inputType(), Nd.toFloats(v));
                 Buffer pb = upload(p); Buffer mb = upload(mf); Buffer offset = upload(before);
                 Buffer ob = device.alloc(ElementType.F32, (long) batch * heads * len * valueDim)) {
                kernels.forward(w, qb, kb, vb, pb, mb, ob, holder.state, offset, next);
                out = new float[batch * heads * len * valueDim];
                device.download(ob, out);
            } catch (RuntimeException e) {
                next.close();
                throw e;
            }
            holder.state.close();
            holder.state = next;
        }
        for (int b = 0; b < batch; b++) for (int t = 0; t < len; t++) counts[b] += p[b * len + t];
        position += len;
        return Nd4j.create(out, new long[] {batch, heads, len, valueDim}, 'c');
    }

    private Buffer upload(float[] values) {
        return device.upload(ElementType.F32, values);
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public long bytes() {
        return stateLength() * 8 + batch * 8L;
    }

    @Override
    public void reset() {
        device.zero(holder.state);
        counts = new double[batch];
        position = 0;
    }
}
