package org.cottention.softmax;

import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionKind;
import org.cottention.api.AttentionShape;
import org.cottention.api.DecodingState;
import org.cottention.api.Nd;
import org.cottention.api.ProbabilityDropout;
import org.cottention.kernels.KernelThreads;
import org.cottention.kernels.RawArray;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Softmax attention as the paper's baseline computes it: the (s x s) probabilities are materialised per head,
 * P = softmax(q k^T / sqrt(dk)) over the allowed keys, O = P v. A key is allowed when it is a real token and, if
 * causal, not after the query; padded queries still attend to the real keys, as in Hugging Face BERT; a query
 * with no allowed key gets a zero output. Dropout on the probabilities (BERT's baseline uses 0.1) is available
 * through {@link ProbabilityDropout}; the plain {@link #forward(AttentionInput)} applies none.
 *
 * <p>Each (sequence, head) is one task on {@link KernelThreads}: full s x s products through BLAS (as the eager
 * baseline computes them, masked entries included) and the row softmax in Java. Memory: P (B s^2) is kept for
 * the backward pass, which allocates dP (B s^2) too.
 */
public final class SoftmaxAttention implements Attention, ProbabilityDropout {
    public static final String NAME = "softmax-materialized";

    private final boolean causal;

    public SoftmaxAttention(boolean causal) {
        this.causal = causal;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public AttentionKind kind() {
        return AttentionKind.SOFTMAX;
    }

    @Override
    public boolean causal() {
        return causal;
    }

    /**
     * The output and what backward reads: q, k, v as (B, s, d), the probabilities P (B, s, s) and, with dropout,
     * the keep-mask (B, s, s) scaled by 1 / (1 - rate) (else null).
     */
    static final class SoftmaxForward implements Forward {
        final INDArray q, k, v, probabilities, keep;
        final long n, heads, s;
        private final INDArray output;

        SoftmaxForward(INDArray q, INDArray k, INDArray v, INDArray probabilities, INDArray keep, INDArray output,
                       long n, long heads) {
            this.q = q;
            this.k = k;
            this.v = v;
            this.probabilities = probabilities;
            this.keep = keep;
            this.output = output;
            this.n = n;
            this.heads = heads;
            this.s = q.size(1);
        }

        @Override
        public INDArray output() {
            return output;
        }
    }

    @Override
    public Forward forward(AttentionInput in) {
        return forward(in, 0, 0);
    }

    /** With inverted dropout of the given rate on P (the keep-mask drawn from seed): O = (P ⊙ keep) v. */
    @Override
    public Forward forward(AttentionInput in, double rate, long seed) {
        int n = (int) in.batch(), heads = (int) in.heads(), s = (int) in.length(), dk = (int) in.keyDim();
        int dv = (int) in.valueDim();
        DataType dt = in.dataType();
        INDArray q = flat(in.q()), k = flat(in.k()), v = flat(in.v());
        INDArray p = Nd4j.create(dt, (long) n * heads, s, s), out = Nd4j.create(dt, (long) n * heads, s, dv);
        double[][] mask = in.mask() == null ? null : in.maskValues();
        INDArray keep = rate > 0 ? Nd.dropoutMask(dt, rate, seed, (long) n * heads, s, s) : null;
        INDArray dropped = rate > 0 ? Nd4j.create(dt, (long) n * heads, s, s) : null;
        RawArray qR = RawArray.of(q), kR = RawArray.of(k), vR = RawArray.of(v), pR = RawArray.of(p), oR = RawArray.of(out);
        RawArray keepR = keep == null ? null : RawArray.of(keep), dropR = dropped == null ? null : RawArray.of(dropped);
        KernelThreads.forEachWithBlas(n * heads, (long) s * s * Math.max(dk, dv), head -> {
            long qOff = (long) head * s * dk, vOff = (long) head * s * dv, pOff = (long) head * s * s;
            headForward(qR, qOff, kR, qOff, vR, vOff, s, s, dk, dv, mask == null ? null : mask[head / heads], causal,
                    0, pR, pOff, oR, vOff);
            if (keepR != null) {   // O = (P ⊙ keep) v instead
                multiplyRows(pR, keepR, dropR, pOff, s, s);
                RawArray.gemm(1, dropR.matrix(pOff, s, s), vR.matrix(vOff, s, dv), 0, oR.matrix(vOff, s, dv));
            }
        });
        return new SoftmaxForward(q, k, v, p, keep, out.reshape('c', n, heads, s, dv), n, heads);
    }

    /**
     * P (B, s, s), O (B, s, dv) and the mask read as float64 (N, s); backward: dP (B, s, s), dq, dk (B, s, dk) and
     * dv (B, s, dv). Inputs that are not C-contiguous (N, H, s, d) add a copy each.
     */
    @Override
    public long workingBytes(AttentionShape x, boolean backward) {
        long b = x.batchHeads(), s = x.length();
        long forward = AttentionShape.sum(x.bytes(b, s, s), x.bytes(b, s, x.valueDim()),
                AttentionShape.times(2, AttentionShape.doubles(x.batch(), s)));
        if (!backward) return forward;
        return AttentionShape.sum(forward, x.bytes(b, s, s), x.bytes(b, s, x.keyDim()), x.bytes(b, s, x.keyDim()),
                x.bytes(b, s, x.valueDim()));
    }

    /** The keep-mask (B, s, s) and P ⊙ keep (B, s, s). */
    @Override
    public long dropoutBytes(AttentionShape x) {
        long b = x.batchHeads(), s = x.length();
        return AttentionShape.times(2, x.bytes(b, s, s));
    }

    /** out = a ⊙ b over the (rows x cols) block at off. */
    private static void multiplyRows(RawArray a, RawArray b, RawArray out, long off, int rows, int cols) {
        double[] x = new double[cols], y = new double[cols];
        for (int i = 0; i < rows; i++) {
            long at = off + (long) i * cols;
            a.read(at, x, 0, cols);
            b.read(at, y, 0, cols);
            for (int j = 0; j < cols; j++) x[j] *= y[j];
            out.write(at, x, 0, cols);
        }
    }

    private static INDArray flat(INDArray x) {
        return RawArray.contiguous(Nd.flattenHeads(x));
    }

    /**
     * One head: L queries (rows of q at qOff) over S keys (rows of k at kOff, values at vOff); the queries sit at
     * positions offset .. offset+L-1 and the keys at 0 .. S-1. Writes P (L x S at pOff) and O (L x dv at oOff).
     * keyMask: the S mask values of this sequence, or null.
     */
    static void headForward(RawArray q, long qOff, RawArray k, long kOff, RawArray v, long vOff, int len, int keys,
                            int dk, int dv, double[] keyMask, boolean causal, long offset, RawArray p, long pOff,
                            RawArray out, long oOff) {
        RawArray.gemm(1.0 / Math.sqrt(dk), q.matrix(qOff, len, dk), k.matrix(kOff, keys, dk).t(), 0, p.matrix(pOff, len, keys));
        int[] limits = new int[len];
        for (int i = 0; i < len; i++) limits[i] = causal ? (int) Math.min(keys, offset + i + 1) : keys;
        p.softmaxRows(pOff, len, keys, limits, keyMask);
        RawArray.gemm(1, p.matrix(pOff, len, keys), v.matrix(vOff, keys, dv), 0, out.matrix(oOff, len, dv));
    }

    /**
     * dP = g v^T (⊙ keep with dropout); dS = P ⊙ (dP - rowsum(P ⊙ dP)) / sqrt(dk); dq = dS k; dk = dS^T q;
     * dv = (P ⊙ keep)^T g.
     */
    @Override
    public AttentionGradients backward(Forward forward, INDArray gradOutput) {
        if (!(forward instanceof SoftmaxForward f)) {
            throw new IllegalArgumentException(name() + ": backward needs the Forward returned by its own forward");
        }
        DataType dt = f.q.dataType();
        int b = (int) f.q.size(0), s = (int) f.s, dk = (int) f.q.size(2), dv = (int) f.v.size(2);
        INDArray g = flat(gradOutput.dataType() == dt ? gradOutput : gradOutput.castTo(dt));
        INDArray dScores = Nd4j.create(dt, b, s, s);
        INDArray dq = Nd4j.create(dt, b, s, dk), dkey = Nd4j.create(dt, b, s, dk), dval = Nd4j.create(dt, b, s, dv);
        RawArray qR = RawArray.of(f.q), kR = RawArray.of(f.k), vR = RawArray.of(f.v), pR = RawArray.of(f.probabilities);
        RawArray gR = RawArray.of(g), dsR = RawArray.of(dScores);
        RawArray keepR = f.keep == null ? null : RawArray.of(f.keep);
        RawArray dqR = RawArray.of(dq), dkR = RawArray.of(dkey), dvR = RawArray.of(dval);
        double scale = 1.0 / Math.sqrt(dk);
        KernelThreads.forEachWithBlas(b, (long) s * s * Math.max(dk, dv), head -> {
            long qOff = (long) head * s * dk, vOff = (long) head * s * dv, pOff = (long) head * s * s;
            if (keepR == null) {
                RawArray.gemm(1, pR.matrix(pOff, s, s).t(), gR.matrix(vOff, s, dv), 0, dvR.matrix(vOff, s, dv));
            } else {  // dv = (P ⊙ keep)^T g, with dScores as the scratch for P ⊙ keep
                multiplyRows(pR, keepR, dsR, pOff, s, s);
                RawArray.gemm(1, dsR.matrix(pOff, s, s).t(), gR.matrix(vOff, s, dv), 0, dvR.matrix(vOff, s, dv));
            }
            RawArray.gemm(1, gR.matrix(vOff, s, dv), vR.matrix(vOff, s, dv).t(), 0, dsR.matrix(pOff, s, s));
            dsR.softmaxBackwardRows(pR, keepR, pOff, s, s, scale);
            RawArray.gemm(1, dsR.matrix(pOff, s, s), kR.matrix(qOff, s, dk), 0, dqR.matrix(qOff, s, dk));
            RawArray.gemm(1, dsR.matrix(pOff, s, s).t(), qR.matrix(qOff, s, dk), 0, dkR.matrix(qOff, s, dk));
        });
        return new AttentionGradients(dq.reshape('c', f.n, f.heads, s, dk), dkey.reshape('c', f.n, f.heads, s, dk),
                dval.reshape('c', f.n, f.heads, s, dv), null);
    }

    @Override
    public DecodingState newDecodingState(int batch, int heads, int keyDim, int valueDim, DataType dataType) {
        if (!causal) return Attention.super.newDecodingState(batch, heads, keyDim, valueDim, dataType);
        return new SoftmaxKvCache(batch, heads, keyDim, valueDim, dataType);
    }
}
