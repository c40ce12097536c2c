package org.cottention.cosine;

import org.cottention.api.AttentionShape;
import org.cottention.api.Nd;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Cosine attention in the quadratic order O = (qh kh^T [masked lower-triangular if causal]) vh: materialises the
 * (s x s) similarity per head. The reference code uses this order for bidirectional attention when s < dk; for
 * long sequences it is the memory baseline that the linear orders avoid.
 */
public final class QuadraticCosineAttention extends CosineAttention {
    public static final String NAME = "cosine-quadratic";

    public QuadraticCosineAttention(boolean causal) {
        super(causal);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected Product product(CosineInputs x) {
        return forwardProduct(x.qh, x.kh, x.vh, causal);
    }

    @Override
    protected ProductGradients productBackward(CosineInputs x, Product product, INDArray g) {
        return backwardProduct(x.qh, x.kh, x.vh, (QuadraticProduct) product, g, causal);
    }

    @Override
    protected long productBytes(AttentionShape x, boolean backward) {
        return bytes(x, causal, backward);
    }

    /**
     * A (B, s, s) and O (B, s, dv); causal: the (s, s) triangle (built in float64, then cast). Backward: dA
     * (B, s, s), the triangle again, dqh, dkh (B, s, dk), dvh (B, s, dv).
     */
    static long bytes(AttentionShape x, boolean causal, boolean backward) {
        long b = x.batchHeads(), s = x.length();
        long triangle = !causal ? 0 : AttentionShape.sum(AttentionShape.doubles(s, s),
                x.elementBytes() == 8 ? 0 : x.bytes(s, s));
        long forward = AttentionShape.sum(x.bytes(b, s, s), triangle, x.bytes(b, s, x.valueDim()));
        if (!backward) return forward;
        return AttentionShape.sum(forward, x.bytes(b, s, s), triangle, x.bytes(b, s, x.keyDim()),
                x.bytes(b, s, x.keyDim()), x.bytes(b, s, x.valueDim()));
    }

    /** A = qh kh^T (B, s, s), lower-triangular when causal; O = A vh (B, s, dv). Saves A. */
    static QuadraticProduct forwardProduct(INDArray qh, INDArray kh, INDArray vh, boolean causal) {
        long b = qh.size(0), s = qh.size(1);
        INDArray a = Nd.mmul(qh, false, kh, true, Nd4j.create(qh.dataType(), b, s, s), 0.0);
        if (causal) a.muli(lowerTriangle(s, qh));
        INDArray out = Nd.mmul(a, false, vh, false, Nd4j.create(qh.dataType(), b, s, vh.size(2)), 0.0);
        return new QuadraticProduct(out, a);
    }

    /** dA = g vh^T (masked), dqh = dA kh, dkh = dA^T qh, dvh = A^T g. */
    static ProductGradients backwardProduct(INDArray qh, INDArray kh, INDArray vh, QuadraticProduct product,
                                            INDArray g, boolean causal) {
        long b = qh.size(0), s = qh.size(1);
        INDArray a = product.scores();
        INDArray dA = Nd.mmul(g, false, vh, true, Nd4j.create(qh.dataType(), b, s, s), 0.0);
        if (causal) dA.muli(lowerTriangle(s, qh));
        INDArray dqh = Nd.mmul(dA, false, kh, false, Nd4j.create(qh.dataType(), b, s, kh.size(2)), 0.0);
        INDArray dkh = Nd.mmul(dA, true, qh, false, Nd4j.create(qh.dataType(), b, s, qh.size(2)), 0.0);
        INDArray dvh = Nd.mmul(a, true, g, false, Nd4j.create(qh.dataType(), b, s, g.size(2)), 0.0);
        return new ProductGradients(dqh, dkh, dvh);
    }

    /** (s, s) ones on and below the diagonal, in x's dtype. (Nd4j.tri(1) returns [[0]] in M2.1, so not that.) */
    static INDArray lowerTriangle(long s, INDArray like) {
        double[] tri = new double[(int) (s * s)];
        for (int i = 0; i < s; i++) for (int j = 0; j <= i; j++) tri[(int) (i * s + j)] = 1;
        return Nd.fromDoubles(tri, like.dataType(), s, s);
    }
}
