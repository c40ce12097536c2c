package org.cottention.models;

import org.cottention.api.Nd;
import org.cottention.kernels.FusedLayers;
import org.cottention.kernels.RawArray;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** y = x W^T + b with W (out, in) as in PyTorch; b optional. x (M, in) -> y (M, out). */
public final class Linear {
    private final Parameter weight, bias;
    private final long in, out;
    private INDArray x;

    /** Registers {@code name}.weight (and {@code name}.bias when biasInit is not null). */
    public Linear(Parameters p, String name, long in, long out, Init weightInit, Init biasInit) {
        this.in = in;
        this.out = out;
        this.weight = p.add(name + ".weight", weightInit, true, out, in);
        this.bias = biasInit == null ? null : p.add(name + ".bias", biasInit, false, out);
    }

    public long inFeatures() {
        return in;
    }

    public long outFeatures() {
        return out;
    }

    /** The dtype of the weights (the model's dtype). */
    public org.nd4j.linalg.api.buffer.DataType weightType() {
        return weight.value().dataType();
    }

    /** x (M, in) -> (M, out). Keeps x for the backward pass. */
    public INDArray forward(INDArray x) {
        this.x = x;
        INDArray y = Nd.mmul(x, false, weight.value(), true, Nd4j.create(x.dataType(), x.size(0), out), 0.0);
        if (bias != null) y.addiRowVector(bias.value());
        return y;
    }

    /** dy (M, out) -> dx (M, in); dW += dy^T x, db += sum of the rows of dy. */
    public INDArray backward(INDArray dy) {
        Nd.mmul(dy, true, x, false, weight.grad(), 1.0);
        if (bias != null) FusedLayers.addColumnSums(RawArray.contiguous(dy), bias.grad());
        return Nd.mmul(dy, false, weight.value(), false, Nd4j.create(dy.dataType(), dy.size(0), in), 0.0);
    }
}
