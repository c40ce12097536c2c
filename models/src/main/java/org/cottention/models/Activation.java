package org.cottention.models;

import org.cottention.kernels.FusedLayers;
import org.cottention.kernels.RawArray;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Elementwise activations with their derivatives; one instance per use site (it keeps what its backward needs).
 * The two GELUs run as single-pass fused kernels ({@link FusedLayers}): the forward keeps tanh(...) or erf(...)
 * so that the backward needs no transcendental function.
 */
public final class Activation {

    public enum Kind {
        /** BERT's "gelu": 0.5 x (1 + erf(x / sqrt 2)). */
        GELU_ERF,
        /** GPT-J's "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
        GELU_TANH,
        /** BERT's pooler. */
        TANH
    }

    private final Kind kind;
    /** The input, the output, and (GELU) tanh(...) or erf(x / sqrt 2) of the forward. */
    private INDArray x, y, kept;

    public Activation(Kind kind) {
        this.kind = kind;
    }

    public INDArray forward(INDArray in) {
        x = RawArray.contiguous(in);
        switch (kind) {
            case GELU_ERF -> {
                y = x.ulike();
                kept = x.ulike();
                FusedLayers.geluErfForward(x, y, kept);
            }
            case GELU_TANH -> {
                y = x.ulike();
                kept = x.ulike();
                FusedLayers.geluTanhForward(x, y, kept);
            }
            case TANH -> y = Transforms.tanh(x, true);
        }
        return y;
    }

    public INDArray backward(INDArray dy) {
        return switch (kind) {
            case GELU_ERF -> {
                INDArray dx = dy.ulike();
                FusedLayers.geluErfBackward(RawArray.contiguous(dy), x, kept, dx);
                yield dx;
            }
            case GELU_TANH -> {
                INDArray dx = dy.ulike();
                FusedLayers.geluTanhBackward(RawArray.contiguous(dy), x, kept, dx);
                yield dx;
            }
            case TANH -> y.mul(y).rsubi(1.0).muli(dy);
        };
    }
}
