package org.cottention.softmax;

import org.cottention.api.DecodingState;
import org.cottention.api.Nd;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Causal softmax attention for generation with a KV cache: every appended token's key and value are kept, so
 * memory grows linearly with the position (the capacity doubles when full) and each new token costs O(position).
 */
public final class SoftmaxKvCache implements DecodingState {
    private static final int INITIAL_CAPACITY = 16;

    private final int batch, heads, keyDim, valueDim;
    private final DataType dataType;
    private INDArray keys, values;   // (N*H, capacity, dk), (N*H, capacity, dv)
    private INDArray mask;           // (N, capacity)
    private long position;

    public SoftmaxKvCache(int batch, int heads, int keyDim, int valueDim, DataType dataType) {
        this.batch = batch;
        this.heads = heads;
        this.keyDim = keyDim;
        this.valueDim = valueDim;
        this.dataType = dataType;
        reset();
    }

    @Override
    public INDArray append(INDArray q, INDArray k, INDArray v, INDArray newMask, INDArray m) {
        long len = q.size(2), end = position + len;
        if (q.size(0) != batch || q.size(1) != heads || q.size(3) != keyDim || v.size(3) != valueDim) {
            throw new IllegalArgumentException("expected q, k (" + batch + ", " + heads + ", L, " + keyDim
                    + ") and v (..., " + valueDim + ")");
        }
        ensureCapacity(end);
        INDArrayIndex fresh = NDArrayIndex.interval(position, end);
        keys.get(NDArrayIndex.all(), fresh, NDArrayIndex.all()).assign(Nd.flattenHeads(k.castTo(dataType)));
        values.get(NDArrayIndex.all(), fresh, NDArrayIndex.all()).assign(Nd.flattenHeads(v.castTo(dataType)));
        mask.get(NDArrayIndex.all(), fresh).assign(newMask == null ? Nd4j.ones(dataType, batch, len) : newMask.castTo(dataType));

        INDArrayIndex seen = NDArrayIndex.interval(0, end);
        INDArray keysSoFar = keys.get(NDArrayIndex.all(), seen, NDArrayIndex.all());
        INDArray valuesSoFar = values.get(NDArrayIndex.all(), seen, NDArrayIndex.all());
        INDArray p = SoftmaxAttention.probabilities(Nd.flattenHeads(q.castTo(dataType)), keysSoFar,
                mask.get(NDArrayIndex.all(), seen).dup('c'), heads, true, position);
        INDArray out = Nd.mmul(p, false, valuesSoFar, false, Nd4j.create(dataType, (long) batch * heads, len, valueDim), 0.0);
        position = end;
        out = out.reshape('c', batch, heads, len, valueDim);
        return out.dataType() == q.dataType() ? out : out.castTo(q.dataType());
    }

    private void ensureCapacity(long needed) {
        long capacity = keys.size(1);
        if (needed <= capacity) return;
        long grown = Math.max(needed, 2 * capacity);
        INDArrayIndex old = NDArrayIndex.interval(0, position);
        INDArray k2 = Nd4j.create(dataType, (long) batch * heads, grown, keyDim);
        INDArray v2 = Nd4j.create(dataType, (long) batch * heads, grown, valueDim);
        INDArray m2 = Nd4j.create(dataType, batch, grown);
        if (position > 0) {
            k2.get(NDArrayIndex.all(), old, NDArrayIndex.all()).assign(keys.get(NDArrayIndex.all(), old, NDArrayIndex.all()));
            v2.get(NDArrayIndex.all(), old, NDArrayIndex.all()).assign(values.get(NDArrayIndex.all(), old, NDArrayIndex.all()));
            m2.get(NDArrayIndex.all(), old).assign(mask.get(NDArrayIndex.all(), old));
        }
        keys = k2;
        values = v2;
        mask = m2;
    }

    @Override
    public long position() {
        return position;
    }

    /** Bytes held: the cache at its current capacity (what a real KV cache must hold). */
    @Override
    public long bytes() {
        return (keys.length() + values.length() + mask.length()) * dataType.width();
    }

    @Override
    public void reset() {
        keys = Nd4j.create(dataType, (long) batch * heads, INITIAL_CAPACITY, keyDim);
        values = Nd4j.create(dataType, (long) batch * heads, INITIAL_CAPACITY, valueDim);
        mask = Nd4j.create(dataType, batch, INITIAL_CAPACITY);
        position = 0;
    }
}
