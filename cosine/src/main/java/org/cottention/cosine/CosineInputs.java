package org.cottention.cosine;

import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionShape;
import org.cottention.api.Nd;
import org.cottention.kernels.KernelThreads;
import org.cottention.kernels.RawArray;
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
        // Uninitialised: every element below is written before it is read.
        qh = Nd4j.createUninitialized(dataType, b, s, dk);
        kh = Nd4j.createUninitialized(dataType, b, s, dk);
        vh = Nd4j.createUninitialized(dataType, b, s, dv);
        qFactor = Nd4j.createUninitialized(DataType.DOUBLE, b, s);
        kFactor = Nd4j.createUninitialized(DataType.DOUBLE, b, s);
        qAboveEps = Nd4j.createUninitialized(DataType.DOUBLE, b, s);
        kAboveEps = Nd4j.createUninitialized(DataType.DOUBLE, b, s);
        valueScale = Nd4j.createUninitialized(DataType.DOUBLE, b, s);
        logDerivative = Nd4j.createUninitialized(DataType.DOUBLE, b, s);

        double[][] mask = in.maskValues();
        double[][] lnCount = new double[(int) n][(int) s];     // ln of the divisor's count at each (key) position
        for (int seq = 0; seq < n; seq++) {
            double total = 0;
            for (double p : mask[seq]) total += p;
            double prefix = countOffset == null ? 0 : countOffset[seq], lnTotal = Math.log(total);
            for (int t = 0; t < s; t++) {
                prefix += mask[seq][t];
                lnCount[seq][t] = causal ? Math.log(prefix) : lnTotal;
            }
        }
        double[] sigma = in.stabilizer();
        for (int h = 0; h < sigma.length; h++) sigma[h] = StabilizerExponent.sigmoid(sigma[h]);
        RawArray q = raw(in.q()), k = raw(in.k()), v = raw(in.v());
        RawArray qhR = RawArray.of(qh), khR = RawArray.of(kh), vhR = RawArray.of(vh);
        RawArray qf = RawArray.of(qFactor), kf = RawArray.of(kFactor), qa = RawArray.of(qAboveEps);
        RawArray ka = RawArray.of(kAboveEps), vs = RawArray.of(valueScale), ld = RawArray.of(logDerivative);
        KernelThreads.forEach((int) b, head -> {
            int seq = (int) (head / heads), h = (int) (head % heads);
            double[] factor = new double[BLOCK], above = new double[BLOCK], scale = new double[BLOCK];
            double[] logDer = new double[BLOCK];
            for (int t0 = 0; t0 < s; t0 += BLOCK) {
                int rows = (int) Math.min(BLOCK, s - t0);
                long r0 = head * s + t0;
                normalizeBlock(q, qhR, r0, rows, (int) dk, mask[seq], t0, qf, qa, factor, above);
                normalizeBlock(k, khR, r0, rows, (int) dk, mask[seq], t0, kf, ka, factor, above);
                for (int i = 0; i < rows; i++) {
                    double p = mask[seq][t0 + i], lnc = lnCount[seq][t0 + i];
                    scale[i] = p / StabilizerExponent.divisorFromLog(lnc, sigma[h]);
                    logDer[i] = p * StabilizerExponent.logDerivativeFromLog(lnc, sigma[h]);
                }
                vs.write(r0, scale, 0, rows);
                ld.write(r0, logDer, 0, rows);
                v.scaleRows(vhR, r0, rows, (int) dv, scale);
            }
        });
    }

    /**
     * What {@link #prepare} allocates: qh, kh (B, s, dk), vh (B, s, dv), six (B, s) float64 rows of scalars, and
     * the mask read as float64 (N, s; a cast and a copy). Inputs that are not C-contiguous (N, H, s, d) add a copy each.
     */
    static long bytes(AttentionShape x) {
        long b = x.batchHeads(), s = x.length();
        return AttentionShape.sum(x.bytes(b, s, x.keyDim()), x.bytes(b, s, x.keyDim()), x.bytes(b, s, x.valueDim()),
                AttentionShape.times(6, AttentionShape.doubles(b, s)), AttentionShape.times(2, AttentionShape.doubles(x.batch(), s)));
    }

    /** Rows processed per bulk read and write. */
    private static final int BLOCK = 128;

    /** Prepares the inputs; countOffset (N) adds tokens already seen (an initial state), or null. */
    static CosineInputs prepare(AttentionInput in, boolean causal, double[] countOffset) {
        return new CosineInputs(in, causal, countOffset);
    }

    /**
     * Rows r0 .. r0+rows of xh = x * p / max(||x||, eps); records each row's factor and whether ||x|| > eps.
     * factor, above: scratch of at least rows.
     */
    private static void normalizeBlock(RawArray in, RawArray out, long r0, int rows, int d, double[] mask, int t0,
                                       RawArray factorR, RawArray aboveR, double[] factor, double[] above) {
        in.rowDots(in, r0, rows, d, factor);                  // squared norms
        for (int i = 0; i < rows; i++) {
            double norm = Math.sqrt(factor[i]);
            factor[i] = mask[t0 + i] / Math.max(norm, NORM_EPS);
            above[i] = norm > NORM_EPS ? 1 : 0;
        }
        in.scaleRows(out, r0, rows, d, factor);
        factorR.write(r0, factor, 0, rows);
        aboveR.write(r0, above, 0, rows);
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
            double[] f = new double[BLOCK], a = new double[BLOCK], dot = new double[BLOCK], beta = new double[BLOCK];
            double dm = 0;
            for (int t0 = 0; t0 < s; t0 += BLOCK) {
                int rows = (int) Math.min(BLOCK, s - t0);
                long r0 = head * s + t0;
                normalizeBlockBackward(qhR, dqR, qf, qa, r0, rows, (int) dk, f, a, dot, beta);
                normalizeBlockBackward(khR, dkR, kf, ka, r0, rows, (int) dk, f, a, dot, beta);
                dvR.rowDots(vhR, r0, rows, (int) dv, dot);
                vs.read(r0, f, 0, rows);
                ld.read(r0, a, 0, rows);
                for (int i = 0; i < rows; i++) dm += dot[i] * a[i];
                dvR.scaleRows(dvR, r0, rows, (int) dv, f);
            }
            dmPerHead[head] = dm;
        });
        double[] dm = new double[(int) heads];
        for (int head = 0; head < b; head++) dm[(int) (head % heads)] += dmPerHead[head];
        return new AttentionGradients(toHeads(dqh), toHeads(dkh), toHeads(dvh), Nd.fromDoubles(dm, dataType, heads));
    }

    /**
     * Rows r0 .. r0+rows, in place: g <- f (g - xh (xh . g) [above eps]), the backward of xh = f x with
     * f = p / max(||x||, eps). f, above, proj, beta: scratch.
     */
    private static void normalizeBlockBackward(RawArray xhR, RawArray gR, RawArray factorR, RawArray aboveR, long r0,
                                               int rows, int d, double[] f, double[] above, double[] proj,
                                               double[] beta) {
        xhR.rowDots(gR, r0, rows, d, proj);
        factorR.read(r0, f, 0, rows);
        aboveR.read(r0, above, 0, rows);
        for (int i = 0; i < rows; i++) beta[i] = above[i] != 0 ? -f[i] * proj[i] : 0;
        gR.combineRows(xhR, r0, rows, d, f, beta);
    }
}
