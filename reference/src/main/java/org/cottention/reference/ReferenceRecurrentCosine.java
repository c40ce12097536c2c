package org.cottention.reference;

import static org.cottention.reference.Vectors.dot;
import static org.cottention.reference.Vectors.maskAt;
import static org.cottention.reference.Vectors.normalize;

/**
 * Causal cosine attention as a recurrence (paper §5, eq. 8; paper-spec §6): per (sequence, head) a state S of
 * shape (dv, dk) starts at zero; for each token t, c_t += p_t, vh_t = p_t v_t / max(c_t^sigma(m), 1),
 * kh_t = p_t Nrm(k_t), qh_t = p_t Nrm(q_t), S += vh_t kh_t^T, o_t = S qh_t. Equal to the causal form of
 * {@link ReferenceCosineAttention}; constant memory per generated token.
 */
public final class ReferenceRecurrentCosine {
    private final double[][][][] state; // (N, H, dv, dk)
    private final double[] count;       // (N): real tokens seen so far per sequence
    private final double[] m;           // (H) or null

    public ReferenceRecurrentCosine(int batch, int heads, int dk, int dv, double[] m) {
        this.state = new double[batch][heads][dv][dk];
        this.count = new double[batch];
        this.m = m == null ? null : m.clone();
    }

    /** Feeds L tokens, q, k (N, H, L, dk), v (N, H, L, dv), mask (N, L) or null; returns (N, H, L, dv). */
    public double[][][][] append(double[][][][] q, double[][][][] k, double[][][][] v, double[][] mask) {
        Shapes.check(q, k, v, mask);
        int nb = q.length, heads = q[0].length, len = q[0][0].length, dv = v[0][0][0].length;
        double[][][][] out = new double[nb][heads][len][dv];
        for (int n = 0; n < nb; n++) {
            for (int t = 0; t < len; t++) {
                double p = maskAt(mask, n, t);
                count[n] += p;
                for (int h = 0; h < heads; h++) {
                    double div = StabilizerExponent.divisor(count[n], ReferenceCosineAttention.mValue(m, h));
                    double[] qh = Vectors.scaled(p, normalize(q[n][h][t]));
                    double[] kh = Vectors.scaled(p, normalize(k[n][h][t]));
                    double[] vh = Vectors.scaled(p / div, v[n][h][t]);
                    double[][] st = state[n][h];
                    for (int a = 0; a < dv; a++) {
                        for (int b = 0; b < kh.length; b++) st[a][b] += vh[a] * kh[b];
                        out[n][h][t][a] = dot(st[a], qh);
                    }
                }
            }
        }
        return out;
    }

    /** The state, (N, H, dv, dk), a copy. */
    public double[][][][] state() {
        double[][][][] copy = Vectors.zerosLike(state);
        for (int n = 0; n < state.length; n++)
            for (int h = 0; h < state[n].length; h++)
                for (int a = 0; a < state[n][h].length; a++) copy[n][h][a] = state[n][h][a].clone();
        return copy;
    }

    /** Real tokens seen so far per sequence, (N), a copy. */
    public double[] count() {
        return count.clone();
    }
}
