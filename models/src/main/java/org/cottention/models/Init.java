package org.cottention.models;

import java.util.SplittableRandom;

/**
 * How a parameter tensor is initialised. The values come from a Java generator seeded per parameter name (see
 * {@link Parameters#allocate}), so a tensor gets the same values whatever else the model holds: a softmax and a
 * cosine model built from one seed share every parameter they have in common.
 *
 * @param kind  NORMAL (scale = std), UNIFORM (values in [-scale, scale]) or CONSTANT (every value = scale)
 * @param scale see kind
 */
public record Init(Kind kind, double scale) {

    public enum Kind { NORMAL, UNIFORM, CONSTANT }

    /** N(0, std^2): Hugging Face's init for BERT and GPT-J (std = initializer_range = 0.02). */
    public static Init normal(double std) {
        return new Init(Kind.NORMAL, std);
    }

    /** U(-bound, bound). */
    public static Init uniform(double bound) {
        return new Init(Kind.UNIFORM, bound);
    }

    public static Init constant(double value) {
        return new Init(Kind.CONSTANT, value);
    }

    public static Init zeros() {
        return constant(0.0);
    }

    public static Init ones() {
        return constant(1.0);
    }

    /**
     * PyTorch's default for nn.Linear weights and biases: kaiming_uniform(a = sqrt(5)) gives U(±1/sqrt(fan_in)) for
     * the weight, and the bias is U(±1/sqrt(fan_in)) too. The reference's cosine projections get this init because
     * they are built after Hugging Face's init ran (paper-spec §3, §4).
     */
    public static Init pytorchLinear(long fanIn) {
        return uniform(1.0 / Math.sqrt(fanIn));
    }

    /** length values drawn from rng. */
    double[] sample(SplittableRandom rng, int length) {
        double[] out = new double[length];
        for (int i = 0; i < length; i++) {
            out[i] = switch (kind) {
                case NORMAL -> scale * rng.nextGaussian();
                case UNIFORM -> scale * (2 * rng.nextDouble() - 1);
                case CONSTANT -> scale;
            };
        }
        return out;
    }
}
