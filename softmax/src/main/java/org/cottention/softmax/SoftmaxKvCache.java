package org.cottention.softmax;

import java.util.Arrays;
import org.cottention.api.Nd;
import org.cottention.api.TruncatableState;
import org.cottention.kernels.KernelThreads;
import org.cottention.kernels.RawArray;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Causal softmax attention for generation with a KV cache: every appended token's key and value are kept, so
 * memory grows linearly with the position (the capacity doubles when full) and each new token costs O(position).
 */
public final class SoftmaxKvCache implements TruncatableState {
    private static final int INITIAL_CAPACITY = 16;

    private final int batch, heads, keyDim, valueDim;
    private final DataType dataType;
    private INDArray keys, values;   // (N*H, capacity, dk), (N*H, capacity, dv)
    private double[][] mask;         // (N, capacity)
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
        int len = (int) q.size(2);
        if (q.size(0) != batch || q.size(1) != heads || q.size(3) != keyDim || k.size(2) != len) {
            throw new IllegalArgumentException("expected q, k (" + batch + ", " + heads + ", L, " + keyDim + ")");
        }
        long offset = position;
        store(k, v, newMask);
        int seen = (int) position, cap = (int) keys.size(1);
        INDArray qFlat = RawArray.contiguous(Nd.flattenHeads(q.castTo(dataType)));
        INDArray p = Nd4j.create(dataType, (long) batch * heads, len, seen);
        INDArray out = Nd4j.create(dataType, (long) batch * heads, len, valueDim);
        RawArray qR = RawArray.of(qFlat), kR = RawArray.of(keys), vR = RawArray.of(values);
        RawArray pR = RawArray.of(p), oR = RawArray.of(out);
        long largestProduct = (long) len * seen * Math.max(keyDim, valueDim);
        KernelThreads.forEachWithBlas(batch * heads, largestProduct, head -> SoftmaxAttention.headForward(qR, (long) head * len * keyDim,
                kR, (long) head * cap * keyDim, vR, (long) head * cap * valueDim, len, seen, keyDim, valueDim,
                mask[head / heads], true, offset, pR, (long) head * len * seen, oR, (long) head * len * valueDim));
        out = out.reshape('c', batch, heads, len, valueDim);
        return out.dataType() == q.dataType() ? out : out.castTo(q.dataType());
    }

    /** Stores the L tokens' keys and values (N, H, L, d) without computing outputs. */
    @Override
    public void prefill(INDArray k, INDArray v, INDArray newMask, INDArray m) {
        store(k, v, newMask);
    }

    @Override
    public void truncate(long newPosition) {
        if (newPosition < 0 || newPosition > position) {
            throw new IllegalArgumentException("position must be in [0, " + position + "], got " + newPosition);
        }
        position = newPosition;
    }

    /** Grows the cache now so that {@code tokens} tokens fit without reallocating. */
    @Override
    public void reserve(long tokens) {
        ensureCapacity(tokens);
    }

    /** Writes the keys, values and mask of L new tokens at the end of the cache and advances the position. */
    private void store(INDArray k, INDArray v, INDArray newMask) {
        int len = (int) k.size(2);
        if (k.size(0) != batch || k.size(1) != heads || k.size(3) != keyDim || v.size(3) != valueDim
                || v.size(2) != len) {
            throw new IllegalArgumentException("expected k (" + batch + ", " + heads + ", L, " + keyDim
                    + ") and v (" + batch + ", " + heads + ", L, " + valueDim + ")");
        }
        ensureCapacity(position + len);
        long cap = keys.size(1);
        RawArray kIn = RawArray.of(RawArray.contiguous(Nd.flattenHeads(k.castTo(dataType))));
        RawArray vIn = RawArray.of(RawArray.contiguous(Nd.flattenHeads(v.castTo(dataType))));
        RawArray kR = RawArray.of(keys), vR = RawArray.of(values);
        for (int head = 0; head < batch * heads; head++) {
            RawArray.copy(kIn, (long) head * len * keyDim, kR, (head * cap + position) * keyDim, (long) len * keyDim);
            RawArray.copy(vIn, (long) head * len * valueDim, vR, (head * cap + position) * valueDim, (long) len * valueDim);
        }
        double[] m = newMask == null ? null : Nd.toDoubles(newMask);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < len; t++) mask[b][(int) position + t] = m == null ? 1 : m[b * len + t];
        }
        position += len;
    }

    /** The cache outlives any workspace open around append(), so it is allocated outside them. */
    private void ensureCapacity(long needed) {
        long capacity = keys.size(1);
        if (needed <= capacity) return;
        long grown = Math.max(needed, 2 * capacity);
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray k2 = Nd4j.create(dataType, (long) batch * heads, grown, keyDim);
            INDArray v2 = Nd4j.create(dataType, (long) batch * heads, grown, valueDim);
            RawArray kOld = RawArray.of(keys), vOld = RawArray.of(values), kNew = RawArray.of(k2), vNew = RawArray.of(v2);
            for (int head = 0; head < batch * heads; head++) {
                RawArray.copy(kOld, head * capacity * keyDim, kNew, head * grown * keyDim, position * keyDim);
                RawArray.copy(vOld, head * capacity * valueDim, vNew, head * grown * valueDim, position * valueDim);
            }
            keys = k2;
            values = v2;
        }
        for (int b = 0; b < batch; b++) mask[b] = Arrays.copyOf(mask[b], (int) grown);
    }

    @Override
    public long position() {
        return position;
    }

    /** Bytes held: the cache at its current capacity (what a real KV cache must hold), mask included. */
    @Override
    public long bytes() {
        return (keys.length() + values.length()) * dataType.width() + (long) batch * keys.size(1) * Double.BYTES;
    }

    @Override
    public void reset() {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            keys = Nd4j.create(dataType, (long) batch * heads, INITIAL_CAPACITY, keyDim);
            values = Nd4j.create(dataType, (long) batch * heads, INITIAL_CAPACITY, valueDim);
        }
        mask = new double[batch][INITIAL_CAPACITY];
        position = 0;
    }
}
