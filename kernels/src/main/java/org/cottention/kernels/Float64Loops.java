package org.cottention.kernels;

/**
 * The fused layer kernels in plain scalar Java on double[]: the float64 path (gradient checks, finite differences)
 * and the reference the float32 vector path ({@link Float32Lanes}) is tested against. Each method computes exactly
 * its documented formula, element by element, with {@link Math}'s exp, tanh and sqrt and an erf accurate to double
 * precision; the layers' formulas are in {@link FusedLayers}.
 */
final class Float64Loops {
    private Float64Loops() {}

    static final double GELU_K = Math.sqrt(2.0 / Math.PI), GELU_C = 0.044715;
    static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0), INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    /** t = tanh(k (x + c x^3)), y = 0.5 x (1 + t). */
    static void geluTanhForward(double[] x, double[] y, double[] t, int n) {
        for (int i = 0; i < n; i++) {
            double xi = x[i], ti = Math.tanh(GELU_K * xi * (1 + GELU_C * xi * xi));
            t[i] = ti;
            y[i] = 0.5 * xi * (1 + ti);
        }
    }

    /** dx = dy (0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2)). dx may be dy. */
    static void geluTanhBackward(double[] dy, double[] x, double[] t, double[] dx, int n) {
        for (int i = 0; i < n; i++) {
            double xi = x[i], ti = t[i];
            dx[i] = dy[i] * (0.5 * (1 + ti) + 0.5 * xi * (1 - ti * ti) * GELU_K * (1 + 3 * GELU_C * xi * xi));
        }
    }

    /** e = erf(x / sqrt 2), y = 0.5 x (1 + e). */
    static void geluErfForward(double[] x, double[] y, double[] e, int n) {
        for (int i = 0; i < n; i++) {
            double ei = erf(x[i] * INV_SQRT2);
            e[i] = ei;
            y[i] = 0.5 * x[i] * (1 + ei);
        }
    }

    /** dx = dy (0.5 (1 + e) + x phi(x)), phi the standard normal density. dx may be dy. */
    static void geluErfBackward(double[] dy, double[] x, double[] e, double[] dx, int n) {
        for (int i = 0; i < n; i++) {
            double xi = x[i];
            dx[i] = dy[i] * (0.5 * (1 + e[i]) + xi * INV_SQRT_2PI * Math.exp(-0.5 * xi * xi));
        }
    }

    /**
     * erf to double precision: for |x| < 3 the series 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1 3 5 ... (2n+1)),
     * whose terms are all positive (no cancellation); beyond, erfc by its continued fraction (Lentz's method).
     */
    static double erf(double x) {
        double a = Math.abs(x);
        double r;
        if (a < 3) {
            double term = a, sum = a;
            for (int k = 1; k < 200 && term > 1e-17 * sum; k++) {
                term *= 2 * a * a / (2 * k + 1);
                sum += term;
            }
            r = 2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * sum;
        } else {
            // erfc(a) = exp(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
            double tiny = 1e-300, f = a, c = a, d = 0;
            for (int k = 1; k < 300; k++) {
                double an = k / 2.0;
                d = a + an * d;
                d = 1 / (Math.abs(d) < tiny ? tiny : d);
                c = a + an / c;
                if (Math.abs(c) < tiny) c = tiny;
                double delta = c * d;
                f *= delta;
                if (Math.abs(delta - 1) < 1e-16) break;
            }
            r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    /**
     * LayerNorm of rows [0, rows) of width w: mean, biased variance, rstd = 1 / sqrt(var + eps), xhat = (x - mean)
     * rstd, y = xhat gamma + beta. Writes y, xhat and rstd (one per row).
     */
    static void layerNormForward(double[] x, double[] gamma, double[] beta, double eps, double[] y, double[] xhat,
                                 double[] rstd, int rows, int w) {
        for (int r = 0, o = 0; r < rows; r++, o += w) {
            double mean = 0;
            for (int j = 0; j < w; j++) mean += x[o + j];
            mean /= w;
            double var = 0;
            for (int j = 0; j < w; j++) {
                double c = x[o + j] - mean;
                var += c * c;
            }
            double rs = 1 / Math.sqrt(var / w + eps);
            rstd[r] = rs;
            for (int j = 0; j < w; j++) {
                double h = (x[o + j] - mean) * rs;
                xhat[o + j] = h;
                y[o + j] = h * gamma[j] + beta[j];
            }
        }
    }

    /**
     * LayerNorm's backward over rows [0, rows): dxhat = dy gamma; dx = rstd (dxhat - mean(dxhat) - xhat
     * mean(dxhat xhat)); dgamma += sum over rows of dy xhat, dbeta += sum of dy (into the w-long accumulators).
     */
    static void layerNormBackward(double[] dy, double[] xhat, double[] rstd, double[] gamma, double[] dx,
                                  double[] dgamma, double[] dbeta, int rows, int w) {
        for (int r = 0, o = 0; r < rows; r++, o += w) {
            double meanD = 0, meanDX = 0;
            for (int j = 0; j < w; j++) {
                double g = dy[o + j], h = xhat[o + j], dh = g * gamma[j];
                dgamma[j] += g * h;
                dbeta[j] += g;
                meanD += dh;
                meanDX += dh * h;
            }
            meanD /= w;
            meanDX /= w;
            double rs = rstd[r];
            for (int j = 0; j < w; j++) {
                dx[o + j] = rs * (dy[o + j] * gamma[j] - meanD - xhat[o + j] * meanDX);
            }
        }
    }

    /**
     * Softmax cross-entropy of rows [0, rows) of width c: per row the loss logsumexp(z) - z[label] (label < 0: no
     * loss), the argmax, and, when grad is not null, grad = weight (softmax(z) - onehot(label)) (weight 0 for an
     * unlabelled row). Returns the sum of the losses; argmax per row into predicted.
     */
    static double softmaxCrossEntropy(double[] z, int[] labels, int labelOff, double weight, double[] grad,
                                      int[] predicted, int rows, int c) {
        double total = 0;
        for (int r = 0, o = 0; r < rows; r++, o += c) {
            double max = Double.NEGATIVE_INFINITY;
            int arg = 0;
            for (int j = 0; j < c; j++) {
                if (z[o + j] > max) {
                    max = z[o + j];
                    arg = j;
                }
            }
            predicted[labelOff + r] = arg;
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Math.exp(z[o + j] - max);
            int y = labels[labelOff + r];
            if (y >= 0) total += Math.log(sum) + max - z[o + y];
            if (grad != null) {
                double wr = y >= 0 ? weight : 0, inv = 1 / sum;
                for (int j = 0; j < c; j++) grad[o + j] = wr * Math.exp(z[o + j] - max) * inv;
                if (y >= 0) grad[o + y] -= wr;
            }
        }
        return total;
    }

    /**
     * One AdamW update of n entries (torch.optim.AdamW): p *= 1 - lr wd decay; m = b1 m + (1 - b1) g;
     * v = b2 v + (1 - b2) g^2; p -= lr / c1 m / (sqrt(v) / sqrt(c2) + eps). decay: the per-entry weight-decay
     * mask (1 = decayed), or null for all.
     */
    static void adamW(double[] p, double[] g, double[] m, double[] v, double[] decay, int n, double lr, double b1,
                      double b2, double eps, double wd, double c1, double c2) {
        double sc2 = 1 / Math.sqrt(c2), step = lr / c1;
        for (int i = 0; i < n; i++) {
            double gi = g[i];
            double pi = p[i] * (1 - lr * wd * (decay == null ? 1 : decay[i]));
            double mi = b1 * m[i] + (1 - b1) * gi, vi = b2 * v[i] + (1 - b2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi - step * mi / (Math.sqrt(vi) * sc2 + eps);
        }
    }

    /** In place over row[0..keys): softmax over the allowed entries j < limit with keyMask[j] != 0; 0 elsewhere. */
    static void softmaxRow(double[] row, int keys, int limit, double[] keyMask) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < limit; j++) if (keyMask == null || keyMask[j] != 0) max = Math.max(max, row[j]);
        if (max == Double.NEGATIVE_INFINITY) {           // no allowed key: a zero row
            java.util.Arrays.fill(row, 0, keys, 0);
            return;
        }
        double sum = 0;
        for (int j = 0; j < limit; j++) {
            double e = keyMask == null || keyMask[j] != 0 ? Math.exp(row[j] - max) : 0;
            row[j] = e;
            sum += e;
        }
        for (int j = 0; j < limit; j++) row[j] /= sum;
        java.util.Arrays.fill(row, limit, keys, 0);
    }

    /** d = p ⊙ (D - p . D) * scale, D = d ⊙ keep (keep null: D = d), over n entries. */
    static void softmaxBackwardRow(double[] d, double[] p, double[] keep, int n, double scale) {
        if (keep != null) for (int j = 0; j < n; j++) d[j] *= keep[j];
        double dot = 0;
        for (int j = 0; j < n; j++) dot += p[j] * d[j];
        for (int j = 0; j < n; j++) d[j] = p[j] * (d[j] - dot) * scale;
    }
}
