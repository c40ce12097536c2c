package org.cottention.reference;

/** Small vector helpers for the reference implementations: plain loops, double precision. */
final class Vectors {
    private Vectors() {}

    /** torch.nn.functional.normalize's eps: x / max(||x||, 1e-12). */
    static final double NORM_EPS = 1e-12;

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** y += alpha * x */
    static void axpy(double alpha, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) y[i] += alpha * x[i];
    }

    static double[] scaled(double alpha, double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = alpha * x[i];
        return y;
    }

    /** Nrm(x) = x / max(||x||, eps), as torch.nn.functional.normalize (a zero vector stays zero). */
    static double[] normalize(double[] x) {
        return scaled(1.0 / Math.max(Math.sqrt(dot(x, x)), NORM_EPS), x);
    }

    /**
     * Backward of {@link #normalize}: given x and g = dL/dNrm(x), returns dL/dx.
     * For ||x|| > eps: (g - u (u.g)) / ||x|| with u = x / ||x||; otherwise the clamp is active and dL/dx = g / eps.
     */
    static double[] normalizeBackward(double[] x, double[] g) {
        double norm = Math.sqrt(dot(x, x));
        if (norm <= NORM_EPS) return scaled(1.0 / NORM_EPS, g);
        double[] u = scaled(1.0 / norm, x);
        double ug = dot(u, g);
        double[] dx = new double[x.length];
        for (int i = 0; i < x.length; i++) dx[i] = (g[i] - u[i] * ug) / norm;
        return dx;
    }

    static double sigmoid(double m) {
        return 1.0 / (1.0 + Math.exp(-m));
    }

    static double[][][][] zerosLike(double[][][][] a) {
        double[][][][] z = new double[a.length][][][];
        for (int n = 0; n < a.length; n++) {
            z[n] = new double[a[n].length][][];
            for (int h = 0; h < a[n].length; h++) z[n][h] = new double[a[n][h].length][a[n][h][0].length];
        }
        return z;
    }

    static double[][][][] zeros(int n, int h, int s, int d) {
        return new double[n][h][s][d];
    }

    /** mask[n][t] in {0,1}, or all ones when mask is null. */
    static double maskAt(double[][] mask, int n, int t) {
        return mask == null ? 1.0 : mask[n][t];
    }
}
