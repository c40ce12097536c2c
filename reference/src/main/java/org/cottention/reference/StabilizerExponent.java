package org.cottention.reference;

/**
 * The learned stabiliser of cosine attention (paper §3.3, paper-spec §3-§4): values are divided by
 * max(count^sigma(m), 1), with m one raw scalar per head (initial value 0.5, sigma(0.5) = 0.6224593).
 */
public final class StabilizerExponent {
    private StabilizerExponent() {}

    /** The paper's initial value of m for every head. */
    public static final double INITIAL_M = 0.5;

    public static double sigmoid(double m) {
        return Vectors.sigmoid(m);
    }

    /** max(count^sigma(m), 1): count = real tokens of the sequence (bidirectional) or up to the key (causal). */
    public static double divisor(double count, double m) {
        return Math.max(Math.pow(count, sigmoid(m)), 1.0);
    }

    /**
     * d(v / divisor)/dm = (v / divisor) * this factor: -ln(count) sigma(m) (1 - sigma(m)) while the clamp is
     * inactive (count^sigma(m) > 1), else 0 (count = 0 or 1).
     */
    public static double logDerivative(double count, double m) {
        double s = sigmoid(m);
        if (Math.pow(count, s) <= 1.0) return 0.0;
        return -Math.log(count) * s * (1.0 - s);
    }

    /**
     * {@link #divisor} from ln(count) and sigma(m) computed beforehand: max(exp(sigma ln count), 1), the same value
     * up to rounding (count^sigma = exp(sigma ln count)). Kernels call it for every token with ln(count) per position
     * and sigma per head: one exp instead of a pow (measured: the pows and logs took 6 of the 9 ms of preparing a
     * 4096-token, 8-head input).
     */
    public static double divisorFromLog(double lnCount, double sigma) {
        return Math.max(Math.exp(sigma * lnCount), 1.0);
    }

    /** {@link #logDerivative} from ln(count) and sigma(m): -ln(count) sigma (1 - sigma) while exp(sigma ln count) > 1, else 0. */
    public static double logDerivativeFromLog(double lnCount, double sigma) {
        if (Math.exp(sigma * lnCount) <= 1.0) return 0.0;
        return -lnCount * sigma * (1.0 - sigma);
    }
}
