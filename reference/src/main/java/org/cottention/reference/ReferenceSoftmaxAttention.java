package org.cottention.reference;

import static org.cottention.reference.Vectors.axpy;
import static org.cottention.reference.Vectors.dot;
import static org.cottention.reference.Vectors.maskAt;

/**
 * Softmax attention, the paper's baseline, in double precision: P = softmax(q k^T / sqrt(dk)) over the allowed
 * keys, o = P v. A key j is allowed for query i when it is a real token (mask 1) and, if causal, j <= i.
 * Padded queries still attend to the real keys (as Hugging Face BERT does; their outputs are ignored downstream).
 * A query with no allowed key gets a zero output and zero gradients.
 *
 * <p>Shapes: q, k (N, H, s, dk); v (N, H, s, dv); mask (N, s) or null; output (N, H, s, dv).
 */
public final class ReferenceSoftmaxAttention {
    private ReferenceSoftmaxAttention() {}

    public static double[][][][] forward(boolean causal, double[][][][] q, double[][][][] k, double[][][][] v,
                                         double[][] mask) {
        Shapes.check(q, k, v, mask);
        int nb = q.length, heads = q[0].length, s = q[0][0].length, dv = v[0][0][0].length;
        double[][][][] out = new double[nb][heads][s][dv];
        for (int n = 0; n < nb; n++) {
            for (int h = 0; h < heads; h++) {
                double[][] p = probabilities(causal, q[n][h], k[n][h], mask, n);
                for (int i = 0; i < s; i++) {
                    for (int j = 0; j < s; j++) axpy(p[i][j], v[n][h][j], out[n][h][i]);
                }
            }
        }
        return out;
    }

    /** Gradients of L = sum(gradOut * forward(...)); dm is null (softmax has no stabiliser). */
    public static Gradients backward(boolean causal, double[][][][] q, double[][][][] k, double[][][][] v,
                                     double[][] mask, double[][][][] gradOut) {
        Shapes.check(q, k, v, mask);
        int nb = q.length, heads = q[0].length, s = q[0][0].length;
        double scale = 1.0 / Math.sqrt(q[0][0][0].length);
        double[][][][] dq = Vectors.zerosLike(q), dk = Vectors.zerosLike(k), dv = Vectors.zerosLike(v);
        for (int n = 0; n < nb; n++) {
            for (int h = 0; h < heads; h++) {
                double[][] p = probabilities(causal, q[n][h], k[n][h], mask, n);
                double[][] g = gradOut[n][h];
                for (int i = 0; i < s; i++) {
                    double[] dp = new double[s];
                    double rowDot = 0;
                    for (int j = 0; j < s; j++) {
                        dp[j] = dot(g[i], v[n][h][j]);
                        rowDot += p[i][j] * dp[j];
                    }
                    for (int j = 0; j < s; j++) {
                        double dScore = p[i][j] * (dp[j] - rowDot) * scale;
                        axpy(dScore, k[n][h][j], dq[n][h][i]);
                        axpy(dScore, q[n][h][i], dk[n][h][j]);
                        axpy(p[i][j], g[i], dv[n][h][j]);
                    }
                }
            }
        }
        return new Gradients(dq, dk, dv, null);
    }

    /** (s, s) attention probabilities of one (sequence, head); zero where not allowed. */
    static double[][] probabilities(boolean causal, double[][] q, double[][] k, double[][] mask, int n) {
        int s = q.length;
        double scale = 1.0 / Math.sqrt(q[0].length);
        double[][] p = new double[s][s];
        for (int i = 0; i < s; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < s; j++) {
                if (allowed(causal, mask, n, i, j)) max = Math.max(max, dot(q[i], k[j]) * scale);
            }
            if (max == Double.NEGATIVE_INFINITY) continue; // no allowed key: zero row
            double sum = 0;
            for (int j = 0; j < s; j++) {
                if (allowed(causal, mask, n, i, j)) {
                    p[i][j] = Math.exp(dot(q[i], k[j]) * scale - max);
                    sum += p[i][j];
                }
            }
            for (int j = 0; j < s; j++) p[i][j] /= sum;
        }
        return p;
    }

    private static boolean allowed(boolean causal, double[][] mask, int n, int i, int j) {
        return maskAt(mask, n, j) != 0.0 && (!causal || j <= i);
    }
}
