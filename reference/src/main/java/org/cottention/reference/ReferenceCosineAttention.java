package org.cottention.reference;

import static org.cottention.reference.Vectors.axpy;
import static org.cottention.reference.Vectors.dot;
import static org.cottention.reference.Vectors.maskAt;
import static org.cottention.reference.Vectors.normalize;
import static org.cottention.reference.Vectors.normalizeBackward;

/**
 * Cosine attention exactly as the paper's reference code computes it (paper-spec §3 and §4), written as the
 * plain quadratic sum over (query, key) pairs in double precision. This is the oracle, not a fast path.
 *
 * <p>Shapes: q, k (N, H, s, dk); v (N, H, s, dv); mask (N, s) with 1 = real token, 0 = padding, or null for
 * all real; m (H) raw stabiliser parameters (before the sigmoid), or null for 0.5 each; output (N, H, s, dv).
 *
 * <p>Bidirectional (BERT, §3): mask q, k, v first; qh = Nrm(q), kh = Nrm(k); vh = v / max(n^sigma(m_h), 1)
 * with n the number of real tokens of the sequence; o_i = sum_j (qh_i . kh_j) vh_j.
 *
 * <p>Causal (GPT-J, §4): qh = Nrm(q), kh = Nrm(k); vh_j = v_j / max(c_j^sigma(m_h), 1) with c_j the number of
 * real tokens at or before the KEY position j; then qh, kh, vh are multiplied by the mask;
 * o_i = sum_{j <= i} (qh_i . kh_j) vh_j.
 */
public final class ReferenceCosineAttention {
    private ReferenceCosineAttention() {}

    /** Output (N, H, s, dv). */
    public static double[][][][] forward(boolean causal, double[][][][] q, double[][][][] k, double[][][][] v,
                                         double[][] mask, double[] m) {
        Shapes.check(q, k, v, mask);
        int nb = q.length, heads = q[0].length, s = q[0][0].length, dv = v[0][0][0].length;
        double[][][][] out = new double[nb][heads][s][dv];
        for (int n = 0; n < nb; n++) {
            for (int h = 0; h < heads; h++) {
                Head head = Head.prepare(causal, q[n][h], k[n][h], v[n][h], mask, n, mValue(m, h));
                for (int i = 0; i < s; i++) {
                    for (int j = 0; j < s; j++) {
                        if (causal && j > i) continue;
                        axpy(dot(head.qh[i], head.kh[j]), head.vh[j], out[n][h][i]);
                    }
                }
            }
        }
        return out;
    }

    /** Gradients of L = sum(gradOut * forward(...)) with respect to q, k, v and m. */
    public static Gradients backward(boolean causal, double[][][][] q, double[][][][] k, double[][][][] v,
                                     double[][] mask, double[] m, double[][][][] gradOut) {
        Shapes.check(q, k, v, mask);
        int nb = q.length, heads = q[0].length, s = q[0][0].length;
        double[][][][] dq = Vectors.zerosLike(q), dk = Vectors.zerosLike(k), dv = Vectors.zerosLike(v);
        double[] dm = new double[heads];
        for (int n = 0; n < nb; n++) {
            for (int h = 0; h < heads; h++) {
                double mh = mValue(m, h);
                Head head = Head.prepare(causal, q[n][h], k[n][h], v[n][h], mask, n, mh);
                double[][] g = gradOut[n][h];
                double[][] dqh = new double[s][q[n][h][0].length];
                double[][] dkh = new double[s][k[n][h][0].length];
                double[][] dvh = new double[s][v[n][h][0].length];
                for (int i = 0; i < s; i++) {
                    for (int j = 0; j < s; j++) {
                        if (causal && j > i) continue;
                        double gv = dot(g[i], head.vh[j]);
                        axpy(gv, head.kh[j], dqh[i]);
                        axpy(gv, head.qh[i], dkh[j]);
                        axpy(dot(head.qh[i], head.kh[j]), g[i], dvh[j]);
                    }
                }
                for (int t = 0; t < s; t++) {
                    double p = maskAt(mask, n, t);
                    // The mask is applied before normalising (bidirectional) or after (causal); either way the
                    // gradient of the un-normalised input is multiplied by p exactly once.
                    dq[n][h][t] = Vectors.scaled(p, normalizeBackward(head.qIn[t], dqh[t]));
                    dk[n][h][t] = Vectors.scaled(p, normalizeBackward(head.kIn[t], dkh[t]));
                    dv[n][h][t] = Vectors.scaled(p / head.divisor[t], dvh[t]);
                    dm[h] += p * dot(dvh[t], head.vh[t]) * StabilizerExponent.logDerivative(head.count[t], mh);
                }
            }
        }
        return new Gradients(dq, dk, dv, dm);
    }

    static double mValue(double[] m, int h) {
        return m == null ? StabilizerExponent.INITIAL_M : m[h];
    }

    /** One (sequence, head): normalised, divided and masked qh, kh, vh, and the inputs of the normalisation. */
    private static final class Head {
        double[][] qIn, kIn;      // what Nrm was applied to, (s, dk)
        double[][] qh, kh, vh;    // (s, dk), (s, dk), (s, dv), all masked
        double[] count, divisor;  // (s): the count the divisor uses at each (key) position, and the divisor

        static Head prepare(boolean causal, double[][] q, double[][] k, double[][] v, double[][] mask, int n,
                            double m) {
            int s = q.length;
            Head hd = new Head();
            hd.qIn = new double[s][];
            hd.kIn = new double[s][];
            hd.qh = new double[s][];
            hd.kh = new double[s][];
            hd.vh = new double[s][];
            hd.count = new double[s];
            hd.divisor = new double[s];
            double real = 0;
            for (int t = 0; t < s; t++) real += maskAt(mask, n, t);
            double prefix = 0;
            for (int t = 0; t < s; t++) {
                double p = maskAt(mask, n, t);
                prefix += p;
                hd.count[t] = causal ? prefix : real;
                hd.divisor[t] = StabilizerExponent.divisor(hd.count[t], m);
                if (causal) { // normalise, divide, then mask
                    hd.qIn[t] = q[t];
                    hd.kIn[t] = k[t];
                } else {      // mask, then normalise and divide
                    hd.qIn[t] = Vectors.scaled(p, q[t]);
                    hd.kIn[t] = Vectors.scaled(p, k[t]);
                }
                hd.qh[t] = Vectors.scaled(p, normalize(hd.qIn[t]));
                hd.kh[t] = Vectors.scaled(p, normalize(hd.kIn[t]));
                hd.vh[t] = Vectors.scaled(p / hd.divisor[t], v[t]);
            }
            return hd;
        }
    }
}
