package org.cottention.models;

import org.cottention.api.Nd;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Inverted dropout with a seeded mask (see {@link Pass}); the identity when the rate is 0 or the pass is not training. */
public final class Dropout {
    private final double rate;
    private INDArray mask;

    public Dropout(double rate) {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + rate);
        this.rate = rate;
    }

    public INDArray forward(INDArray x, Pass pass) {
        if (rate == 0 || !pass.training()) {
            mask = null;
            return x;
        }
        mask = Nd.dropoutMask(x.dataType(), rate, pass.nextSeed(), x.shape());
        return x.mul(mask);
    }

    public INDArray backward(INDArray dy) {
        return mask == null ? dy : dy.mul(mask);
    }
}
