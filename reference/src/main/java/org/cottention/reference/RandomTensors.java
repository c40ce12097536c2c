package org.cottention.reference;

import java.util.Random;

/** Seeded random inputs for tests and checks: Gaussian tensors and padding masks. */
public final class RandomTensors {
    private RandomTensors() {}

    /** (N, H, s, d) with N(0, 1) entries. */
    public static double[][][][] normal(Random rng, int n, int h, int s, int d) {
        double[][][][] a = new double[n][h][s][d];
        for (double[][][] x : a) for (double[][] y : x) for (double[] z : y)
            for (int i = 0; i < d; i++) z[i] = rng.nextGaussian();
        return a;
    }

    /** (N, s) right-padded 0/1 mask: row n has a random number of real tokens in [1, s], row 0 has s. */
    public static double[][] rightPadded(Random rng, int n, int s) {
        double[][] mask = new double[n][s];
        for (int b = 0; b < n; b++) {
            int real = b == 0 ? s : 1 + rng.nextInt(s);
            for (int t = 0; t < real; t++) mask[b][t] = 1;
        }
        return mask;
    }

    /** (N, s) arbitrary 0/1 mask (left padding, holes, fully padded rows all possible). */
    public static double[][] arbitrary(Random rng, int n, int s) {
        double[][] mask = new double[n][s];
        for (double[] row : mask) for (int t = 0; t < s; t++) row[t] = rng.nextBoolean() ? 1 : 0;
        return mask;
    }

    /** (H) raw stabiliser parameters, uniform in [-2, 2]. */
    public static double[] stabilizer(Random rng, int h) {
        double[] m = new double[h];
        for (int i = 0; i < h; i++) m[i] = 4 * rng.nextDouble() - 2;
        return m;
    }

    /** The inputs of one attention call and the gradient dL/dO to feed its backward. */
    public record AttentionCase(double[][][][] q, double[][][][] k, double[][][][] v, double[][][][] g, double[][] mask,
                                double[] m) {}

    /**
     * q, k (N, H, s, dk), v and g (N, H, s, dv) with N(0, 1) entries, a mask of the given kind ("right":
     * {@link #rightPadded}, "arbitrary": {@link #arbitrary}, "none": null) and m (H) from {@link #stabilizer}, drawn in
     * that order.
     */
    public static AttentionCase attentionCase(Random rng, int n, int h, int s, int dk, int dv, String mask) {
        double[][][][] q = normal(rng, n, h, s, dk), k = normal(rng, n, h, s, dk);
        double[][][][] v = normal(rng, n, h, s, dv), g = normal(rng, n, h, s, dv);
        double[][] p = switch (mask) {
            case "right" -> rightPadded(rng, n, s);
            case "arbitrary" -> arbitrary(rng, n, s);
            case "none" -> null;
            default -> throw new IllegalArgumentException("mask kind must be right, arbitrary or none, got " + mask);
        };
        return new AttentionCase(q, k, v, g, p, stabilizer(rng, h));
    }

    /** Relative error ||a - b|| / max(||b||, tiny) over all entries. */
    public static double relativeError(double[][][][] a, double[][][][] b) {
        double num = 0, den = 0;
        for (int n = 0; n < a.length; n++) for (int h = 0; h < a[n].length; h++)
            for (int t = 0; t < a[n][h].length; t++) for (int e = 0; e < a[n][h][t].length; e++) {
                double x = a[n][h][t][e], y = b[n][h][t][e];
                num += (x - y) * (x - y);
                den += y * y;
            }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-300);
    }

    public static double relativeError(double[] a, double[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += b[i] * b[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-300);
    }

    /** sum(a * b) over all entries. */
    public static double inner(double[][][][] a, double[][][][] b) {
        double s = 0;
        for (int n = 0; n < a.length; n++) for (int h = 0; h < a[n].length; h++)
            for (int t = 0; t < a[n][h].length; t++) for (int e = 0; e < a[n][h][t].length; e++)
                s += a[n][h][t][e] * b[n][h][t][e];
        return s;
    }
}
