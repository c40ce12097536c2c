package org.cottention.cosine;

import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionKind;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Cosine attention = the input steps of {@link CosineInputs} followed by one evaluation of the product
 * O = (qh kh^T [lower-triangular if causal]) vh. Subclasses choose how the product is evaluated; the steps
 * around it, and their gradients, are shared.
 */
public abstract class CosineAttention implements Attention {
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

    /** The product's output (B, s, dv), and what its backward needs besides qh, kh, vh (extra may be null). */
    protected record Product(INDArray output, INDArray saved, INDArray extra) {
        Product(INDArray output, INDArray saved) {
            this(output, saved, null);
        }
    }

    protected abstract Product product(CosineInputs x);

    /** Returns fresh {dqh, dkh, dvh}, each (B, s, d), given g = dL/dO (B, s, dv). */
    protected abstract INDArray[] productBackward(CosineInputs x, Product product, INDArray g);

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
        INDArray[] d = productBackward(f.inputs, f.product, f.inputs.flatGradient(gradOutput));
        return f.inputs.backwardInPlace(d[0], d[1], d[2]);
    }
}
