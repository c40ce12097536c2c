package org.cottention.cosine;

import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.Nd;
import org.cottention.reference.StabilizerExponent;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The steps of cosine attention before the product, and their backward (paper-spec §3 steps 1-3, §4 steps 3-6):
 * qh = p Nrm(q), kh = p Nrm(k), vh = p v / max(count^sigma(m_h), 1), where count is the number of real tokens of
 * the sequence (bidirectional) or at or before the key position (causal). For binary masks, masking before the
 * normalisation (bidirectional) and after it (causal) give the same qh, kh and the same gradients, so one
 * formula serves both: qh = q * p / max(||q||, eps).
 *
 * <p>All tensors here are (B, sPad, d) with B = N*H and rows s..sPad-1 zero, so a chunked kernel can view them as
 * (B * sPad / C, C, d) without copying.
 */
final class CosineInputs {
    static final double NORM_EPS = 1e-12;

    final long n, heads, s, sPad, dk, dv;
    final DataType dataType;
    /** (B, sPad, dk), (B, sPad, dk), (B, sPad, dv): normalised, divided and masked. */
    final INDArray qh, kh, vh;
    /** (B, s, 1): p / max(||x||, eps), the factor that turned q (resp. k) into qh (resp. kh). */
    private final INDArray qFactor, kFactor;
    /** (B, s, 1): 1 where ||x|| > eps (the projection term of Nrm's backward applies), else 0. */
    private final INDArray qAboveEps, kAboveEps;
    /** (B, s, 1): p / divisor, and p * d ln(1/divisor) / dm. */
    private final INDArray valueScale, logDerivative;

    private CosineInputs(AttentionInput in, boolean causal, long sPad, double[] countOffset) {
        this.n = in.batch();
        this.heads = in.heads();
        this.s = in.length();
        this.sPad = sPad;
        this.dk = in.keyDim();
        this.dv = in.valueDim();
        this.dataType = in.dataType();
        long b = n * heads;

        // Per (sequence, head, position) scalars, computed in double: mask, value scale and log-derivative.
        double[][] mask = in.maskValues();
        double[] m = in.stabilizer();
        double[] scale = new double[(int) (b * s)], logDer = new double[(int) (b * s)], real = new double[(int) (b * s)];
        double[] count = new double[(int) s];
        for (int seq = 0; seq < n; seq++) {
            double total = 0;
            for (int t = 0; t < s; t++) total += mask[seq][t];
            double prefix = countOffset == null ? 0 : countOffset[seq];
            for (int t = 0; t < s; t++) {
                prefix += mask[seq][t];
                count[t] = causal ? prefix : total;
            }
            for (int h = 0; h < heads; h++) {
                int base = (int) ((seq * heads + h) * s);
                for (int t = 0; t < s; t++) {
                    double p = mask[seq][t];
                    real[base + t] = p;
                    scale[base + t] = p / StabilizerExponent.divisor(count[t], m[h]);
                    logDer[base + t] = p * StabilizerExponent.logDerivative(count[t], m[h]);
                }
            }
        }
        this.valueScale = Nd.fromDoubles(scale, dataType, b, s, 1);
        this.logDerivative = Nd.fromDoubles(logDer, dataType, b, s, 1);
        INDArray p = in.mask() == null ? null : Nd.fromDoubles(real, dataType, b, s, 1);

        INDArray q3 = Nd.flattenHeads(in.q()), k3 = Nd.flattenHeads(in.k());
        INDArray qNorm = q3.norm2(true, 2), kNorm = k3.norm2(true, 2);
        this.qAboveEps = qNorm.gt(NORM_EPS).castTo(dataType);
        this.kAboveEps = kNorm.gt(NORM_EPS).castTo(dataType);
        this.qFactor = Transforms.max(qNorm, NORM_EPS, false).rdivi(1.0);
        this.kFactor = Transforms.max(kNorm, NORM_EPS, false).rdivi(1.0);
        if (p != null) {
            qFactor.muli(p);
            kFactor.muli(p);
        }
        this.qh = padded(q3.mul(qFactor));
        this.kh = padded(k3.mul(kFactor));
        this.vh = padded(Nd.flattenHeads(in.v()).mul(valueScale));
    }

    /** Prepares the inputs; countOffset (N) adds tokens already seen (an initial state), or null. */
    static CosineInputs prepare(AttentionInput in, boolean causal, long sPad, double[] countOffset) {
        if (sPad < in.length()) throw new IllegalArgumentException("sPad " + sPad + " < s " + in.length());
        return new CosineInputs(in, causal, sPad, countOffset);
    }

    /** (B, s, d) -> (B, sPad, d) with zero rows appended; the same array when sPad == s. */
    INDArray padded(INDArray x) {
        if (sPad == s) return x;
        INDArray out = Nd4j.create(x.dataType(), x.size(0), sPad, x.size(2));
        out.get(NDArrayIndex.all(), NDArrayIndex.interval(0, s), NDArrayIndex.all()).assign(x);
        return out;
    }

    /** (B, sPad, d) -> (N, H, s, d), C-ordered. */
    INDArray unpadded(INDArray x) {
        INDArray rows = sPad == s ? x : x.get(NDArrayIndex.all(), NDArrayIndex.interval(0, s), NDArrayIndex.all());
        return rows.dup('c').reshape('c', n, heads, s, x.size(2));
    }

    /** dL/dO (N, H, s, dv) -> (B, sPad, dv) in this call's dtype. */
    INDArray paddedGradient(INDArray gradOutput) {
        INDArray g = gradOutput.dataType() == dataType ? gradOutput : gradOutput.castTo(dataType);
        return padded(Nd.flattenHeads(g));
    }

    /** From the gradients with respect to qh, kh, vh (B, sPad, d) to those of q, k, v and m. */
    AttentionGradients backward(INDArray dqh, INDArray dkh, INDArray dvh) {
        INDArray dq = normalizeBackward(rows(qh), rows(dqh), qFactor, qAboveEps);
        INDArray dk = normalizeBackward(rows(kh), rows(dkh), kFactor, kAboveEps);
        INDArray dvhRows = rows(dvh);
        INDArray dv = dvhRows.mul(valueScale);
        // dm_h = sum over sequences and positions of (dvh . vh) * p * d ln(1/divisor)/dm.
        INDArray perRow = Nd.rowDot(dvhRows, rows(vh)).muli(logDerivative);      // (B, s, 1)
        INDArray dm = perRow.sum(1, 2).reshape(n, heads).sum(0);                   // (H)
        return new AttentionGradients(toHeads(dq), toHeads(dk), toHeads(dv), dm);
    }

    /** dx = f * (g - xh (xh . g) [||x|| > eps]), the backward of xh = f x with f = p / max(||x||, eps). */
    private static INDArray normalizeBackward(INDArray xh, INDArray g, INDArray factor, INDArray aboveEps) {
        INDArray projection = Nd.rowDot(xh, g).muli(aboveEps);
        return g.sub(xh.mul(projection)).muli(factor);
    }

    private INDArray rows(INDArray x) {
        return sPad == s ? x : x.get(NDArrayIndex.all(), NDArrayIndex.interval(0, s), NDArrayIndex.all());
    }

    private INDArray toHeads(INDArray x) {
        return x.reshape('c', n, heads, s, x.size(2));
    }
}
