package org.cottention.models;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Elementwise activations with their derivatives; one instance per use site (it keeps its input). */
public final class Activation {

    public enum Kind {
        /** BERT's "gelu": 0.5 x (1 + erf(x / sqrt 2)). */
        GELU_ERF,
        /** GPT-J's "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
        GELU_TANH,
        /** BERT's pooler. */
        TANH
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    private final Kind kind;
    private INDArray x, y;

    public Activation(Kind kind) {
        this.kind = kind;
    }

    public INDArray forward(INDArray x) {
        this.x = x;
        y = switch (kind) {
            case GELU_ERF -> erfHalf(x).muli(x);
            case GELU_TANH -> Transforms.tanh(tanhArgument(x), false).addi(1.0).muli(0.5).muli(x);
            case TANH -> Transforms.tanh(x, true);
        };
        return y;
    }

    public INDArray backward(INDArray dy) {
        INDArray derivative = switch (kind) {
            // 0.5 (1 + erf(x / sqrt 2)) + x phi(x)
            case GELU_ERF -> erfHalf(x).addi(Transforms.exp(x.mul(x).muli(-0.5), false).muli(INV_SQRT_2PI).muli(x));
            // 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
            case GELU_TANH -> {
                INDArray t = Transforms.tanh(tanhArgument(x), false);
                INDArray inner = x.mul(x).muli(3 * 0.044715).addi(1.0).muli(SQRT_2_OVER_PI);
                INDArray second = t.mul(t).rsubi(1.0).muli(inner).muli(x).muli(0.5);
                yield t.addi(1.0).muli(0.5).addi(second);
            }
            case TANH -> y.mul(y).rsubi(1.0);
        };
        return derivative.muli(dy);
    }

    /** 0.5 (1 + erf(x / sqrt 2)), a new array. */
    private static INDArray erfHalf(INDArray x) {
        INDArray e = x.mul(1.0 / Math.sqrt(2.0));
        Nd4j.exec(new Erf(e, e));
        return e.addi(1.0).muli(0.5);
    }

    /** sqrt(2/pi) (x + 0.044715 x^3), a new array. */
    private static INDArray tanhArgument(INDArray x) {
        return x.mul(x).muli(0.044715).addi(1.0).muli(x).muli(SQRT_2_OVER_PI);
    }
}
