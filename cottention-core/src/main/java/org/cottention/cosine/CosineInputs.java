package org.cottention.cosine;

import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.Nd;
import org.cottention.reference.StabilizerExponent;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The steps of cosine attention before the product, and their backward (paper-spec §3 steps 1-3, §4 steps 3-6):
 * qh = p Nrm(q), kh = p Nrm(k), vh = p v / max(count^sigma(m_h), 1), where count is the number of real tokens of
 * the sequence (bidirectional) or at or before the key position (causal). For binary masks, masking before the
 * normalisation (bidirectional) and after it (causal) give the same qh, kh and the same gradients, so one
 * formula serves both: qh = q * p / max(||q||, eps).
 *
 * <p>Tensors are (B, s, d) with B = N*H, C-ordered. The per-row scalars (norm factors, value scales, the
 * stabiliser's log-derivative) are kept in float64 whatever the dtype; the loops run per head on
 * {@link KernelThreads}, straight on the arrays' memory.
 */
final class CosineInputs {
    static final double NORM_EPS = 1e-12;

    final long n, heads, s, dk, dv;
    final DataType dataType;
    /** (B, s, dk), (B, s, dk), (B, s, dv): normalised, divided and masked. */
    final INDArray qh, kh, vh;
    /** (B, s) float64: p / max(||q||, eps) (resp. k), the factor that turned q into qh. */
    private final INDArray qFactor, kFactor;
    /** (B, s) float64: 1 where ||q|| > eps (resp. k), i.e. where Nrm's backward has its projection term. */
    private final INDArray qAboveEps, kAboveEps;
    /** (B, s) float64: p / divisor, and p * d ln(1/divisor) / dm. */
    private final INDArray valueScale, logDerivative;

    private CosineInputs(AttentionInput in, boolean causal, double[] countOffset) {
        this.n = in.batch();
        this.heads = in.heads();
        this.s = in.length();
        this.dk = in.keyDim();
        this.dv = in.valueDim();
        this.dataType = in.dataType();
        long b = n * heads;
        qh = Nd4j.create(dataType, b, s, dk);
        kh = Nd4j.create(dataType, b, s, dk);
        vh = Nd4j.create(dataType, b, s, dv);
        qFactor = Nd4j.create(DataType.DOUBLE, b, s);
        kFactor = Nd4j.create(DataType.DOUBLE, b, s);
        qAboveEps = Nd4j.create(DataType.DOUBLE, b, s);
        kAboveEps = Nd4j.create(DataType.DOUBLE, b, s);
        valueScale = Nd4j.create(DataType.DOUBLE, b, s);
        logDerivative = Nd4j.create(DataType.DOUBLE, b, s);

        double[][] mask = in.maskValues();
        double[][] count = new double[(int) n][(int) s];       // the divisor's count at each (key) position
        for (int seq = 0; seq < n; seq++) {
            double total = 0;
            for (double p : mask[seq]) total += p;
            double prefix = countOffset == null ? 0 : countOffset[seq];
            for (int t = 0; t < s; t++) {
                prefix += mask[seq][t];
                count[seq][t] = causal ? prefix : total;
            }
        }
        double[] m = in.stabilizer();
        RawArray q = raw(in.q()), k = raw(in.k()), v = raw(in.v());
        RawArray qhR = RawArray.of(qh), khR = RawArray.of(kh), vhR = RawArray.of(vh);
        RawArray qf = RawArray.of(qFactor), kf = RawArray.of(kFactor), qa = RawArray.of(qAboveEps);
        RawArray ka = RawArray.of(kAboveEps), vs = RawArray.of(valueScale), ld = RawArray.of(logDerivative);
        KernelThreads.forEach((int) b, head -> {
            int seq = (int) (head / heads), h = (int) (head % heads);
            for (int t = 0; t < s; t++) {
                int row = (int) (head * s + t);
                double p = mask[seq][t];
                normalizeRow(q, qhR, row, (int) dk, p, qf, qa);
                normalizeRow(k, khR, row, (int) dk, p, kf, ka);
                double scale = p / StabilizerExponent.divisor(count[seq][t], m[h]);
                vs.set(row, scale);
                ld.set(row, p * StabilizerExponent.logDerivative(count[seq][t], m[h]));
                for (int e = 0, base = (int) (row * dv); e < dv; e++) vhR.set(base + e, v.get(base + e) * scale);
            }
        });
    }

    /** Prepares the inputs; countOffset (N) adds tokens already seen (an initial state), or null. */
    static CosineInputs prepare(AttentionInput in, boolean causal, double[] countOffset) {
        return new CosineInputs(in, causal, countOffset);
    }

    /** xh[row] = x[row] * p / max(||x[row]||, eps); records the factor and whether ||x|| > eps. */
    private static void normalizeRow(RawArray x, RawArray xh, int row, int d, double p, RawArray factor,
                                     RawArray aboveEps) {
        int base = row * d;
        double sq = 0;
        for (int e = 0; e < d; e++) {
            double val = x.get(base + e);
            sq += val * val;
        }
        double norm = Math.sqrt(sq);
        double f = p / Math.max(norm, NORM_EPS);
        factor.set(row, f);
        aboveEps.set(row, norm > NORM_EPS ? 1 : 0);
        for (int e = 0; e < d; e++) xh.set(base + e, x.get(base + e) * f);
    }

    /** (N, H, s, d) -> (B, s, d) C-ordered memory. */
    static RawArray raw(INDArray x) {
        return RawArray.of(RawArray.contiguous(Nd.flattenHeads(x)));
    }

    /** (B, s, d) -> (N, H, s, d), a view. */
    INDArray toHeads(INDArray x) {
        return x.reshape('c', n, heads, s, x.size(2));
    }

    /** dL/dO (N, H, s, dv) -> (B, s, dv), C-ordered, in this call's dtype. */
    INDArray flatGradient(INDArray gradOutput) {
        INDArray g = gradOutput.dataType() == dataType ? gradOutput : gradOutput.castTo(dataType);
        return RawArray.contiguous(Nd.flattenHeads(g));
    }

    /**
     * From the gradients with respect to qh, kh, vh (B, s, d), which this overwrites with those of q, k, v, to
     * the gradients of the call: dq = f (dqh - qh (qh . dqh) [||q|| > eps]), dv = dvh * p / divisor,
     * dm_h = sum over sequences and positions of (dvh . vh) p d ln(1/divisor)/dm.
     */
    AttentionGradients backwardInPlace(INDArray dqh, INDArray dkh, INDArray dvh) {
        int b = (int) (n * heads);
        double[] dmPerHead = new double[b];
        RawArray qhR = RawArray.of(qh), khR = RawArray.of(kh), vhR = RawArray.of(vh);
        RawArray dqR = RawArray.of(dqh), dkR = RawArray.of(dkh), dvR = RawArray.of(dvh);
        RawArray qf = RawArray.of(qFactor), kf = RawArray.of(kFactor), qa = RawArray.of(qAboveEps);
        RawArray ka = RawArray.of(kAboveEps), vs = RawArray.of(valueScale), ld = RawArray.of(logDerivative);
        KernelThreads.forEach(b, head -> {
            double dm = 0;
            for (int t = 0; t < s; t++) {
                int row = (int) (head * s + t);
                normalizeRowBackward(qhR, dqR, row, (int) dk, qf.get(row), qa.get(row));
                normalizeRowBackward(khR, dkR, row, (int) dk, kf.get(row), ka.get(row));
                int base = (int) (row * dv);
                double dot = 0, scale = vs.get(row);
                for (int e = 0; e < dv; e++) {
                    double g = dvR.get(base + e);
                    dot += g * vhR.get(base + e);
                    dvR.set(base + e, g * scale);
                }
                dm += dot * ld.get(row);
            }
            dmPerHead[head] = dm;
        });
        double[] dm = new double[(int) heads];
        for (int head = 0; head < b; head++) dm[(int) (head % heads)] += dmPerHead[head];
        return new AttentionGradients(toHeads(dqh), toHeads(dkh), toHeads(dvh), Nd.fromDoubles(dm, dataType, heads));
    }

    /** In place: g[row] <- f (g - xh (xh . g) [above eps]), the backward of xh = f x with f = p / max(||x||, eps). */
    private static void normalizeRowBackward(RawArray xh, RawArray g, int row, int d, double f, double aboveEps) {
        int base = row * d;
        double proj = 0;
        if (aboveEps != 0) for (int e = 0; e < d; e++) proj += xh.get(base + e) * g.get(base + e);
        for (int e = 0; e < d; e++) g.set(base + e, f * (g.get(base + e) - xh.get(base + e) * proj));
    }
}
