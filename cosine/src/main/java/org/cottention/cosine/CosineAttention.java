package org.cottention.cosine;

import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionKind;
import org.cottention.api.AttentionShape;
import org.cottention.api.StabilisedAttention;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Cosine attention = the input steps of {@link CosineInputs} followed by one evaluation of the product
 * O = (qh kh^T [lower-triangular if causal]) vh. Subclasses choose how the product is evaluated; the steps
 * around it, and their gradients, are shared.
 */
public abstract class CosineAttention implements StabilisedAttention {
    protected final boolean causal;

    protected CosineAttention(boolean causal) {
        this.causal = causal;
    }

    @Override
    public AttentionKind kind() {
        return AttentionKind.COSINE;
    }

    @Override
    public boolean causal() {
        return causal;
    }

    /** The product's output (B, s, dv) and what its backward needs besides qh, kh, vh: one record per order. */
    sealed interface Product permits LinearProduct, QuadraticProduct, ChunkedProduct {
        /** (B, s, dv) */
        INDArray output();
    }

    /** O = qh (kh^T vh): the state kh^T vh, (B, dk, dv). */
    record LinearProduct(INDArray output, INDArray state) implements Product {}

    /** O = A vh with A = qh kh^T (lower-triangular when causal), (B, s, s). */
    record QuadraticProduct(INDArray output, INDArray scores) implements Product {}

    /**
     * Chunked causal: the chunk states P_c (B, nc, dk, dv), the exclusive prefix sums entering each chunk, and the
     * masked blocks Q_c K_c^T ⊙ tril (B, nc, C, C).
     */
    record ChunkedProduct(INDArray output, INDArray chunkStates, INDArray maskedBlocks) implements Product {}

    /** Gradients of the loss with respect to qh, kh (B, s, dk) and vh (B, s, dv): fresh arrays. */
    record ProductGradients(INDArray dqh, INDArray dkh, INDArray dvh) {}

    protected abstract Product product(CosineInputs x);

    /** The bytes {@link #product} (and, with backward, {@link #productBackward}) allocates. */
    protected abstract long productBytes(AttentionShape x, boolean backward);

    /** The input steps (qh, kh, vh and the per-row scalars), the product, and dm (H) in the backward. */
    @Override
    public final long workingBytes(AttentionShape x, boolean backward) {
        long dm = backward ? AttentionShape.sum(AttentionShape.doubles(x.heads()), x.bytes(x.heads())) : 0;
        return AttentionShape.sum(CosineInputs.bytes(x), productBytes(x, backward), dm);
    }

    /** The product's backward, given g = dL/dO (B, s, dv) and what {@link #product} returned. */
    protected abstract ProductGradients productBackward(CosineInputs x, Product product, INDArray g);

    /** A forward pass of cosine attention: the output (N, H, s, dv) and what the backward pass reads. */
    public static final class CosineForward implements Forward {
        final CosineInputs inputs;
        final Product product;
        private final INDArray output;

        CosineForward(CosineInputs inputs, Product product, INDArray output) {
            this.inputs = inputs;
            this.product = product;
            this.output = output;
        }

        @Override
        public INDArray output() {
            return output;
        }
    }

    @Override
    public Forward forward(AttentionInput input) {
        return forward(input, null);
    }

    /** Forward pass with token counts already seen per sequence (N), for a continued sequence; null = none. */
    CosineForward forward(AttentionInput input, double[] countOffset) {
        CosineInputs x = CosineInputs.prepare(input, causal, countOffset);
        Product p = product(x);
        return new CosineForward(x, p, x.toHeads(p.output()));
    }

    @Override
    public AttentionGradients backward(Forward forward, INDArray gradOutput) {
        if (!(forward instanceof CosineForward f)) {
            throw new IllegalArgumentException(name() + ": backward needs the Forward returned by its own forward");
        }
        ProductGradients d = productBackward(f.inputs, f.product, f.inputs.flatGradient(gradOutput));
        return f.inputs.backwardInPlace(d.dqh(), d.dkh(), d.dvh());
    }
}
