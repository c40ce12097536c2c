package org.cottention.reference;

/** Shape checks shared by the reference implementations. */
final class Shapes {
    private Shapes() {}

    /** q, k: (N, H, s, dk); v: (N, H, s, dv); mask: (N, s) of 0/1 or null. */
    static void check(double[][][][] q, double[][][][] k, double[][][][] v, double[][] mask) {
        int n = q.length, h = q[0].length, s = q[0][0].length, dk = q[0][0][0].length;
        if (k.length != n || v.length != n || k[0].length != h || v[0].length != h
                || k[0][0].length != s || v[0][0].length != s || k[0][0][0].length != dk) {
            throw new IllegalArgumentException("q, k, v must be (N, H, s, dk), (N, H, s, dk), (N, H, s, dv)");
        }
        if (mask != null) {
            if (mask.length != n || mask[0].length != s) {
                throw new IllegalArgumentException("mask must be (N, s) = (" + n + ", " + s + ")");
            }
            for (double[] row : mask) {
                for (double p : row) {
                    if (p != 0.0 && p != 1.0) throw new IllegalArgumentException("mask values must be 0 or 1, got " + p);
                }
            }
        }
    }
}
