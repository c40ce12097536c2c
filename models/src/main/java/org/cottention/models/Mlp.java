package org.cottention.models;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Feed-forward block: x (M, E) -> fc_out(act(fc_in(x))) (M, E), both linears with bias (BERT and GPT-J). */
public final class Mlp {
    private final Linear in, out;
    private final Activation activation;

    /** Registers {@code inName}.weight/bias (E -> I) and {@code outName}.weight/bias (I -> E), N(0, initRange)/zero. */
    public Mlp(Parameters p, String inName, String outName, long width, long inner, Activation.Kind kind,
               double initRange) {
        this.in = new Linear(p, inName, width, inner, Init.normal(initRange), Init.zeros());
        this.out = new Linear(p, outName, inner, width, Init.normal(initRange), Init.zeros());
        this.activation = new Activation(kind);
    }

    public INDArray forward(INDArray x) {
        return out.forward(activation.forward(in.forward(x)));
    }

    public INDArray backward(INDArray dy) {
        return in.backward(activation.backward(out.backward(dy)));
    }
}
