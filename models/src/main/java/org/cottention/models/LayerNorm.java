package org.cottention.models;

import org.cottention.kernels.FusedLayers;
import org.cottention.kernels.RawArray;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LayerNorm over the last axis of (M, E): y = (x - mean) / sqrt(var + eps) * gamma + beta, var biased (as PyTorch).
 * BERT uses eps 1e-12, GPT-J 1e-5. Forward and backward are single-pass fused kernels ({@link FusedLayers}).
 */
public final class LayerNorm {
    private final Parameter gamma, beta;
    private final double eps;
    private INDArray xhat, rstd;

    public LayerNorm(Parameters p, String name, long width, double eps) {
        this.gamma = p.add(name + ".weight", Init.ones(), false, width);
        this.beta = p.add(name + ".bias", Init.zeros(), false, width);
        this.eps = eps;
    }

    /** x (M, E) -> y (M, E); keeps xhat (M, E) and rstd (M). */
    public INDArray forward(INDArray in) {
        INDArray x = RawArray.contiguous(in);
        INDArray y = x.ulike();
        xhat = x.ulike();
        rstd = Nd4j.createUninitialized(x.dataType(), x.size(0));
        FusedLayers.layerNormForward(x, gamma.value(), beta.value(), eps, y, xhat, rstd);
        return y;
    }

    /** dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy gamma; dgamma += sum(dy xhat), dbeta += sum(dy). */
    public INDArray backward(INDArray dy) {
        INDArray g = RawArray.contiguous(dy), dx = g.ulike();
        FusedLayers.layerNormBackward(g, xhat, rstd, gamma.value(), dx, gamma.grad(), beta.grad());
        return dx;
    }
}
