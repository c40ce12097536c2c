package org.cottention.cosine;

import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.KernelThreads;
import org.cottention.api.Nd;
import org.cottention.api.RawArray;
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
            double[] row = new double[(int) Math.max(dk, dv)];
            for (int t = 0; t < s; t++) {
                long r = head * s + t;
                double p = mask[seq][t];
                normalizeRow(q, qhR, r, (int) dk, p, qf, qa, row);
                normalizeRow(k, khR, r, (int) dk, p, kf, ka, row);
                double scale = p / StabilizerExponent.divisor(count[seq][t], m[h]);
                vs.set(r, scale);
                ld.set(r, p * StabilizerExponent.logDerivative(count[seq][t], m[h]));
                v.read(r * dv, row, 0, (int) dv);
                for (int e = 0; e < dv; e++) row[e] *= scale;
                vhR.write(r * dv, row, 0, (int) dv);
            }
        });
    }

    /** Prepares the inputs; countOffset (N) adds tokens already seen (an initial state), or null. */
    static CosineInputs prepare(AttentionInput in, boolean causal, double[] countOffset) {
        return new CosineInputs(in, causal, countOffset);
    }

    /** xh[r] = x[r] * p / max(||x[r]||, eps); records the factor and whether ||x|| > eps. row: scratch of >= d. */
    private static void normalizeRow(RawArray x, RawArray xh, long r, int d, double p, RawArray factor,
                                     RawArray aboveEps, double[] row) {
        x.read(r * d, row, 0, d);
        double sq = 0;
        for (int e = 0; e < d; e++) sq += row[e] * row[e];
        double norm = Math.sqrt(sq);
        double f = p / Math.max(norm, NORM_EPS);
        factor.set(r, f);
        aboveEps.set(r, norm > NORM_EPS ? 1 : 0);
        for (int e = 0; e < d; e++) row[e] *= f;
        xh.write(r * d, row, 0, d);
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
            int width = (int) Math.max(dk, dv);
            double[] xh = new double[width], g = new double[width];
            double dm = 0;
            for (int t = 0; t < s; t++) {
                long r = head * s + t;
                normalizeRowBackward(qhR, dqR, r, (int) dk, qf.get(r), qa.get(r), xh, g);
                normalizeRowBackward(khR, dkR, r, (int) dk, kf.get(r), ka.get(r), xh, g);
                vhR.read(r * dv, xh, 0, (int) dv);
                dvR.read(r * dv, g, 0, (int) dv);
                double dot = 0, scale = vs.get(r);
                for (int e = 0; e < dv; e++) {
                    dot += g[e] * xh[e];
                    g[e] *= scale;
                }
                dvR.write(r * dv, g, 0, (int) dv);
                dm += dot * ld.get(r);
            }
            dmPerHead[head] = dm;
        });
        double[] dm = new double[(int) heads];
        for (int head = 0; head < b; head++) dm[(int) (head % heads)] += dmPerHead[head];
        return new AttentionGradients(toHeads(dqh), toHeads(dkh), toHeads(dvh), Nd.fromDoubles(dm, dataType, heads));
    }

    /** In place: g[r] <- f (g - xh (xh . g) [above eps]), the backward of xh = f x with f = p / max(||x||, eps). */
    private static void normalizeRowBackward(RawArray xhR, RawArray gR, long r, int d, double f, double aboveEps,
                                             double[] xh, double[] g) {
        xhR.read(r * d, xh, 0, d);
        gR.read(r * d, g, 0, d);
        double proj = 0;
        if (aboveEps != 0) for (int e = 0; e < d; e++) proj += xh[e] * g[e];
        for (int e = 0; e < d; e++) g[e] = f * (g[e] - xh[e] * proj);
        gR.write(r * d, g, 0, d);
    }
}
