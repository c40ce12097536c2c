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
}
