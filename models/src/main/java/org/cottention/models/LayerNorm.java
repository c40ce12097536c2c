package org.cottention.models;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * LayerNorm over the last axis of (M, E): y = (x - mean) / sqrt(var + eps) * gamma + beta, var biased (as PyTorch).
 * BERT uses eps 1e-12, GPT-J 1e-5.
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

    /** x (M, E) -> y (M, E). */
    public INDArray forward(INDArray x) {
        INDArray centered = x.subColumnVector(x.mean(true, 1));
        INDArray var = centered.mul(centered).mean(true, 1);                         // (M, 1)
        rstd = Transforms.sqrt(var.addi(eps), false).rdivi(1.0);
        xhat = centered.muliColumnVector(rstd);
        return xhat.mulRowVector(gamma.value()).addiRowVector(beta.value());
    }

    /** dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy gamma; dgamma += sum(dy xhat), dbeta += sum(dy). */
    public INDArray backward(INDArray dy) {
        gamma.grad().addi(dy.mul(xhat).sum(0));
        beta.grad().addi(dy.sum(0));
        INDArray dxhat = dy.mulRowVector(gamma.value());
        INDArray meanD = dxhat.mean(true, 1), meanDX = dxhat.mul(xhat).mean(true, 1);
        return dxhat.subiColumnVector(meanD).subi(xhat.mulColumnVector(meanDX)).muliColumnVector(rstd);
    }
}
