package org.cottention.softmax;

import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionKind;
import org.cottention.api.DecodingState;
import org.cottention.api.Nd;
import org.cottention.api.ProbabilityDropout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Softmax attention as the paper's baseline computes it: the (s x s) probabilities are materialised per head,
 * P = softmax(q k^T / sqrt(dk) + bias), O = P v. Masked keys (padding, and future keys when causal) get a bias of
 * {@link #MASKED}; padded queries still attend to the real keys, as in Hugging Face BERT. A query with no allowed
 * key gets a zero output. Dropout on the probabilities (BERT's baseline uses 0.1) is available through
 * {@link ProbabilityDropout}; the plain {@link #forward(AttentionInput)} applies none.
 */
public final class SoftmaxAttention implements Attention, ProbabilityDropout {
    public static final String NAME = "softmax-materialized";
    /** Additive bias for a masked key: exp of it underflows to 0 in float32 and float64, and twice it is finite. */
    static final double MASKED = -1e30;

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

    /** The output, the saved probabilities P (B, s, s) with B = N*H, and the dropout keep-mask (or null). */
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
        return forward(in, 0.0, 0L);
    }

    /** O = (P ⊙ keep) v, keep = the inverted-dropout mask of the given rate (none when rate is 0). */
    @Override
    public Forward forward(AttentionInput in, double rate, long seed) {
        long n = in.batch(), heads = in.heads(), s = in.length();
        INDArray q = Nd.flattenHeads(in.q()), k = Nd.flattenHeads(in.k()), v = Nd.flattenHeads(in.v());
        INDArray p = probabilities(q, k, in.mask(), heads, causal, 0);
        INDArray keep = rate > 0 ? Nd.dropoutMask(in.dataType(), rate, seed, n * heads, s, s) : null;
        INDArray used = keep == null ? p : p.mul(keep);
        INDArray out = Nd.mmul(used, false, v, false, Nd4j.create(in.dataType(), n * heads, s, in.valueDim()), 0.0);
        return new SoftmaxForward(q, k, v, p, keep, out.reshape('c', n, heads, s, in.valueDim()), n, heads);
    }

    /**
     * Probabilities (B, L, S) of L queries q (B, L, dk) over S keys k (B, S, dk). The queries sit at absolute
     * positions offset..offset+L-1 and the keys at 0..S-1 (causal: key j is allowed for query i if j <= offset+i).
     * keyMask (N, S) or null; heads = H so that row b of B belongs to sequence b / H.
     */
    static INDArray probabilities(INDArray q, INDArray k, INDArray keyMask, long heads, boolean causal, long offset) {
        long b = q.size(0), len = q.size(1), keys = k.size(1);
        DataType dt = q.dataType();
        INDArray scores = Nd.mmul(q, false, k, true, Nd4j.create(dt, b, len, keys), 0.0)
                .muli(1.0 / Math.sqrt(q.size(2)));
        double[] rowHasKey = null;
        if (keyMask != null) {
            // Key bias, (B, 1, S): 0 for real keys, MASKED for padding.
            double[] mask = Nd.toDoubles(keyMask);
            double[] bias = new double[(int) (b * keys)];
            for (int row = 0; row < b; row++) {
                int seq = (int) (row / heads);
                for (int j = 0; j < keys; j++) bias[(int) (row * keys + j)] = mask[(int) (seq * keys + j)] == 0 ? MASKED : 0;
            }
            scores.addi(Nd.fromDoubles(bias, dt, b, 1, keys));
            rowHasKey = rowsWithAKey(mask, b, heads, len, keys, causal, offset);
        }
        if (causal) {
            double[] bias = new double[(int) (len * keys)];
            for (int i = 0; i < len; i++) for (int j = 0; j < keys; j++) if (j > offset + i) bias[(int) (i * keys + j)] = MASKED;
            scores.addi(Nd.fromDoubles(bias, dt, len, keys));
        }
        softmaxRows(scores);
        if (rowHasKey != null) scores.muli(Nd.fromDoubles(rowHasKey, dt, b, len, 1));
        return scores;
    }

    /**
     * In-place softmax over the last axis of (B, L, S). Written out because ND4J M2.1's SoftMax op returns NaN for
     * a float64 row like [-1e30, -1e30, -2e30] (a fully masked row).
     */
    static void softmaxRows(INDArray scores) {
        scores.subi(scores.max(true, 2));
        Transforms.exp(scores, false);
        scores.divi(scores.sum(true, 2));
    }

    /** (B * L) 1 where query i has at least one allowed key, else 0. */
    private static double[] rowsWithAKey(double[] mask, long b, long heads, long len, long keys, boolean causal,
                                         long offset) {
        double[] out = new double[(int) (b * len)];
        for (int row = 0; row < b; row++) {
            int seq = (int) (row / heads);
            long firstReal = -1;
            for (int j = 0; j < keys && firstReal < 0; j++) if (mask[(int) (seq * keys + j)] != 0) firstReal = j;
            for (int i = 0; i < len; i++) {
                boolean any = firstReal >= 0 && (!causal || firstReal <= offset + i);
                out[(int) (row * len + i)] = any ? 1 : 0;
            }
        }
        return out;
    }

    /**
     * dP = (g v^T) ⊙ keep; dScores = P ⊙ (dP - rowsum(P ⊙ dP)); dq = dScores k / sqrt(dk); dk = dScores^T q / sqrt(dk);
     * dv = (P ⊙ keep)^T g. Without dropout keep = 1.
     */
    @Override
    public AttentionGradients backward(Forward forward, INDArray gradOutput) {
        if (!(forward instanceof SoftmaxForward f)) {
            throw new IllegalArgumentException(name() + ": backward needs the Forward returned by its own forward");
        }
        DataType dt = f.q.dataType();
        long b = f.q.size(0), s = f.s, dk = f.q.size(2), dv = f.v.size(2);
        INDArray g = Nd.flattenHeads(gradOutput.dataType() == dt ? gradOutput : gradOutput.castTo(dt));
        INDArray p = f.probabilities;
        INDArray dScores = Nd.mmul(g, false, f.v, true, Nd4j.create(dt, b, s, s), 0.0);     // dP
        if (f.keep != null) dScores.muli(f.keep);
        INDArray rowSum = p.mul(dScores).sum(true, 2);                                       // (B, s, 1)
        dScores.subi(rowSum).muli(p).muli(1.0 / Math.sqrt(dk));
        INDArray dq = Nd.mmul(dScores, false, f.k, false, Nd4j.create(dt, b, s, dk), 0.0);
        INDArray dkey = Nd.mmul(dScores, true, f.q, false, Nd4j.create(dt, b, s, dk), 0.0);
        INDArray used = f.keep == null ? p : p.mul(f.keep);
        INDArray dval = Nd.mmul(used, true, g, false, Nd4j.create(dt, b, s, dv), 0.0);
        return new AttentionGradients(dq.reshape('c', f.n, f.heads, s, dk), dkey.reshape('c', f.n, f.heads, s, dk),
                dval.reshape('c', f.n, f.heads, s, dv), null);
    }

    @Override
    public DecodingState newDecodingState(int batch, int heads, int keyDim, int valueDim, DataType dataType) {
        if (!causal) return Attention.super.newDecodingState(batch, heads, keyDim, valueDim, dataType);
        return new SoftmaxKvCache(batch, heads, keyDim, valueDim, dataType);
    }
}
