package org.cottention.cosine;

import org.cottention.api.AttentionShape;
import org.cottention.api.Nd;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bidirectional (BERT) cosine attention in the linear order O = qh (kh^T vh): a (dk x dv) state per head, memory
 * O(s d + d^2) per head. As the reference code does, it switches to the quadratic order (qh kh^T) vh when
 * s < dk, where that is the smaller product; {@link Order} forces either order.
 */
public final class BidirectionalCosineAttention extends CosineAttention {
    public static final String NAME = "cosine-linear";

    /** Which evaluation order to use. */
    public enum Order {
        /** Quadratic when s < dk, linear otherwise (the reference code's rule). */
        AUTO,
        /** Always qh (kh^T vh). */
        LINEAR
    }

    private final Order order;

    public BidirectionalCosineAttention() {
        this(Order.AUTO);
    }

    public BidirectionalCosineAttention(Order order) {
        super(false);
        this.order = order;
    }

    @Override
    public String name() {
        return NAME;
    }

    private boolean quadratic(CosineInputs x) {
        return order == Order.AUTO && x.s < x.dk;
    }

    @Override
    protected Product product(CosineInputs x) {
        if (quadratic(x)) return QuadraticCosineAttention.forwardProduct(x.qh, x.kh, x.vh, false);
        long b = x.n * x.heads;
        INDArray state = Nd.mmul(x.kh, true, x.vh, false, Nd4j.create(x.dataType, b, x.dk, x.dv), 0.0);
        INDArray out = Nd.mmul(x.qh, false, state, false, Nd4j.create(x.dataType, b, x.s, x.dv), 0.0);
        return new LinearProduct(out, state);
    }

    /** Linear order: the state (B, dk, dv) and O (B, s, dv); backward dqh, dkh (B, s, dk), dstate, dvh. */
    @Override
    protected long productBytes(AttentionShape x, boolean backward) {
        if (order == Order.AUTO && x.length() < x.keyDim()) return QuadraticCosineAttention.bytes(x, false, backward);
        long b = x.batchHeads(), s = x.length(), dk = x.keyDim(), dv = x.valueDim();
        long forward = AttentionShape.sum(x.bytes(b, dk, dv), x.bytes(b, s, dv));
        if (!backward) return forward;
        return AttentionShape.sum(forward, x.bytes(b, s, dk), x.bytes(b, dk, dv), x.bytes(b, s, dk), x.bytes(b, s, dv));
    }

    /** state = kh^T vh: dqh = g state^T, dstate = qh^T g, dkh = vh dstate^T, dvh = kh dstate. */
    @Override
    protected ProductGradients productBackward(CosineInputs x, Product product, INDArray g) {
        if (product instanceof QuadraticProduct quadratic) {
            return QuadraticCosineAttention.backwardProduct(x.qh, x.kh, x.vh, quadratic, g, false);
        }
        long b = x.n * x.heads;
        INDArray state = ((LinearProduct) product).state();
        INDArray dqh = Nd.mmul(g, false, state, true, Nd4j.create(x.dataType, b, x.s, x.dk), 0.0);
        INDArray dState = Nd.mmul(x.qh, true, g, false, Nd4j.create(x.dataType, b, x.dk, x.dv), 0.0);
        INDArray dkh = Nd.mmul(x.vh, false, dState, true, Nd4j.create(x.dataType, b, x.s, x.dk), 0.0);
        INDArray dvh = Nd.mmul(x.kh, false, dState, false, Nd4j.create(x.dataType, b, x.s, x.dv), 0.0);
        return new ProductGradients(dqh, dkh, dvh);
    }
}
