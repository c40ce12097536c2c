package org.cottention.api;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The inputs of one attention call, in the conventions of the paper's reference code.
 *
 * @param q    queries, (N, H, s, dk), FLOAT or DOUBLE
 * @param k    keys, (N, H, s, dk), same dtype
 * @param v    values, (N, H, s, dv), same dtype
 * @param mask padding mask (N, s), 1 = real token, 0 = padding; null means every token is real
 * @param m    the stabiliser's raw parameters (H), before the sigmoid; null means 0.5 each (the paper's initial
 *             value, {@link StabilisedAttention#INITIAL_M}). Ignored by attentions that are not
 *             {@link StabilisedAttention}s (softmax).
 */
public record AttentionInput(INDArray q, INDArray k, INDArray v, INDArray mask, INDArray m) {

    public AttentionInput {
        validate(q, k, v, mask, m);
    }

    public static AttentionInput of(INDArray q, INDArray k, INDArray v) {
        return new AttentionInput(q, k, v, null, null);
    }

    public long batch() { return q.size(0); }
    public long heads() { return q.size(1); }
    public long length() { return q.size(2); }
    public long keyDim() { return q.size(3); }
    public long valueDim() { return v.size(3); }
    public DataType dataType() { return q.dataType(); }

    /** The raw stabiliser parameters as doubles, (H); 0.5 each when m is null. */
    public double[] stabilizer() {
        double[] out = new double[(int) heads()];
        for (int h = 0; h < out.length; h++) out[h] = m == null ? StabilisedAttention.INITIAL_M : m.getDouble(h);
        return out;
    }

    /** The mask as doubles, [N][s]; all ones when mask is null. */
    public double[][] maskValues() {
        int n = (int) batch(), s = (int) length();
        double[][] out = new double[n][s];
        double[] flat = mask == null ? null : Nd.toDoubles(mask);
        for (int b = 0; b < n; b++) {
            if (flat == null) Arrays.fill(out[b], 1.0);
            else System.arraycopy(flat, b * s, out[b], 0, s);
        }
        return out;
    }

    private static void validate(INDArray q, INDArray k, INDArray v, INDArray mask, INDArray m) {
        require(q != null && k != null && v != null, "q, k and v are required");
        require(q.rank() == 4, "q must be (N, H, s, dk), got " + Arrays.toString(q.shape()));
        long n = q.size(0), h = q.size(1), s = q.size(2), dk = q.size(3);
        require(q.dataType() == DataType.FLOAT || q.dataType() == DataType.DOUBLE,
                "q must be FLOAT or DOUBLE, got " + q.dataType());
        require(k.dataType() == q.dataType() && v.dataType() == q.dataType(),
                "q, k and v must share one dtype, got " + q.dataType() + ", " + k.dataType() + ", " + v.dataType());
        require(Arrays.equals(k.shape(), q.shape()), "k must be " + Arrays.toString(q.shape()) + " like q, got "
                + Arrays.toString(k.shape()));
        require(v.rank() == 4 && v.size(0) == n && v.size(1) == h && v.size(2) == s,
                "v must be (" + n + ", " + h + ", " + s + ", dv), got " + Arrays.toString(v.shape()));
        require(n > 0 && h > 0 && s > 0 && dk > 0 && v.size(3) > 0, "empty dimension in " + Arrays.toString(q.shape()));
        if (mask != null) {
            require(mask.rank() == 2 && mask.size(0) == n && mask.size(1) == s,
                    "mask must be (N, s) = (" + n + ", " + s + "), got " + Arrays.toString(mask.shape()));
            require(mask.dataType() == q.dataType(), "mask must have q's dtype " + q.dataType() + ", got "
                    + mask.dataType() + " (use mask.castTo)");
            double[] flat = Nd.toDoubles(mask);
            for (int i = 0; i < flat.length; i++) {
                require(flat[i] == 0.0 || flat[i] == 1.0,
                        "mask values must be 0 or 1, got " + flat[i] + " at (" + i / s + ", " + i % s + ")");
            }
        }
        if (m != null) {
            require(m.length() == h && (m.rank() == 1 || m.rank() == 2 && m.size(0) == 1),
                    "m must be (H) = (" + h + "), got " + Arrays.toString(m.shape()));
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }
}
