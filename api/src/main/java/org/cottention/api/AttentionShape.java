package org.cottention.api;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * The shape of one attention call, what {@link Attention#workingBytes} estimates memory from: q, k (N, H, s, dk),
 * v (N, H, s, dv) in dtype. The byte helpers saturate at Long.MAX_VALUE instead of overflowing, so that an absurd
 * shape gives an estimate that fits nowhere rather than a negative one.
 */
public record AttentionShape(long batch, long heads, long length, long keyDim, long valueDim, DataType dataType) {

    public AttentionShape {
        if (batch <= 0 || heads <= 0 || length <= 0 || keyDim <= 0 || valueDim <= 0) {
            throw new IllegalArgumentException("empty dimension in (N, H, s, dk, dv) = (" + batch + ", " + heads + ", "
                    + length + ", " + keyDim + ", " + valueDim + ")");
        }
    }

    public static AttentionShape of(AttentionInput in) {
        return new AttentionShape(in.batch(), in.heads(), in.length(), in.keyDim(), in.valueDim(), in.dataType());
    }

    /** N * H, the number of (sequence, head) pairs. */
    public long batchHeads() {
        return times(batch, heads);
    }

    /** Bytes of one element of the call's dtype. */
    public long elementBytes() {
        return dataType.width();
    }

    /** Bytes of an array of the call's dtype with the given dimensions. */
    public long bytes(long... dims) {
        return times(elementBytes(), times(dims));
    }

    /** Bytes of a float64 array with the given dimensions. */
    public static long doubles(long... dims) {
        return times(8, times(dims));
    }

    /** Bytes of q, k and v. */
    public long inputBytes() {
        long bs = times(batchHeads(), length);
        return sum(bytes(bs, keyDim), bytes(bs, keyDim), bytes(bs, valueDim));
    }

    /** The product, saturating at Long.MAX_VALUE (every factor is >= 0). */
    public static long times(long... xs) {
        long p = 1;
        for (long x : xs) {
            if (x == 0) return 0;
            if (p > Long.MAX_VALUE / x) return Long.MAX_VALUE;
            p *= x;
        }
        return p;
    }

    /** The sum, saturating at Long.MAX_VALUE (every term is >= 0). */
    public static long sum(long... xs) {
        long s = 0;
        for (long x : xs) {
            if (s > Long.MAX_VALUE - x) return Long.MAX_VALUE;
            s += x;
        }
        return s;
    }
}
