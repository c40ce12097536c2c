package org.cottention.cosine;

import org.cottention.api.AttentionInput;
import org.cottention.api.AttentionShape;
import org.cottention.api.DecodingState;
import org.cottention.api.Nd;
import org.cottention.kernels.KernelThreads;
import org.cottention.kernels.RawArray;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Causal (GPT-J) cosine attention in chunked form. The sequence is cut into chunks of C tokens (the last one may
 * be shorter); within a chunk the product is the masked quadratic (Q_c K_c^T ⊙ tril) V_c, and the earlier
 * chunks enter through the running state P_c, an exclusive prefix sum of per-chunk states K^T V (dk x dv):
 * <pre>
 *   O_c = (Q_c K_c^T ⊙ tril) V_c + Q_c P_c,   P_c = S_0 + sum_{c' < c} K_c'^T V_c'
 * </pre>
 * Backward (G = dL/dO; dS_c = sum_{c' > c} Q_c'^T G_c', accumulated by a scan backwards over the chunks):
 * <pre>
 *   dQ_c = (G_c V_c^T ⊙ tril) K_c + G_c P_c^T
 *   dK_c = (G_c V_c^T ⊙ tril)^T Q_c + V_c dS_c^T
 *   dV_c = (Q_c K_c^T ⊙ tril)^T G_c + K_c dS_c
 * </pre>
 * Each (sequence, head) is one task on {@link KernelThreads}: a forward scan and a backward scan over its chunks,
 * every product a single-threaded BLAS call on the arrays' memory. The forward keeps its masked blocks
 * (Q_c K_c^T ⊙ tril) for the backward, which would otherwise recompute them.
 *
 * <p>Memory for forward + backward: qh, kh, vh, G, dq, dk, dv (B s d values each), the saved blocks (B s C
 * values), the saved states P_c (B ceil(s/C) dk dv values), and per head one C x C block and one dk x dv state:
 * O(s d + s C + (s/C) d^2) per head, nothing of size s x s or s x dk x dv.
 */
public final class ChunkedCausalCosineAttention extends CosineAttention {
    public static final String NAME = "cosine-chunked";
    public static final int DEFAULT_CHUNK = 64;

    private final int chunk;

    public ChunkedCausalCosineAttention() {
        this(DEFAULT_CHUNK);
    }

    public ChunkedCausalCosineAttention(int chunk) {
        super(true);
        if (chunk < 1) throw new IllegalArgumentException("chunk size must be >= 1, got " + chunk);
        this.chunk = chunk;
    }

    @Override
    public String name() {
        return NAME;
    }

    public int chunk() {
        return chunk;
    }

    /**
     * Forward pass continuing from an earlier state (its counts continue the divisor's count); the result also
     * carries the state after the last token. No gradient flows into the initial state.
     */
    public StatefulForward forward(AttentionInput input, CosineState initial) {
        double[] counts = initial == null ? null : initial.counts();
        CosineInputs x = CosineInputs.prepare(input, true, counts);
        INDArray s0 = initial == null ? null                                          // (B, dk, dv)
                : RawArray.contiguous(Nd.flattenHeads(initial.state()).permute(0, 2, 1).castTo(x.dataType));
        Scan scan = forwardScan(x, s0);
        double[] finalCounts = new double[(int) x.n];
        double[][] mask = input.maskValues();
        for (int b = 0; b < x.n; b++) {
            finalCounts[b] = counts == null ? 0 : counts[b];
            for (double p : mask[b]) finalCounts[b] += p;
        }
        INDArray finalState = scan.last.permute(0, 2, 1).dup('c').reshape('c', x.n, x.heads, x.dv, x.dk);
        return new StatefulForward(new CosineForward(x, scan.product, x.toHeads(scan.product.output())),
                new CosineState(finalState, finalCounts));
    }

    /** A forward pass that also carries the state after its last token. */
    public record StatefulForward(CosineForward forward, CosineState finalState) {
        public INDArray output() {
            return forward.output();
        }
    }

    @Override
    protected Product product(CosineInputs x) {
        return forwardScan(x, null).product;
    }

    private record Scan(ChunkedProduct product, INDArray last) {}

    private int chunks(long s) {
        return (int) ((s + chunk - 1) / chunk);
    }

    /** s0: (B, dk, dv) initial state or null. Saves the states P_c, (B, nc, dk, dv); returns the final state too. */
    private Scan forwardScan(CosineInputs x, INDArray s0) {
        int b = (int) (x.n * x.heads), s = (int) x.s, dk = (int) x.dk, dv = (int) x.dv, nc = chunks(s), c0 = chunk;
        DataType dt = x.dataType;
        // Uninitialised where every element is written before it is read; P_0 must start at zero.
        INDArray out = Nd4j.createUninitialized(dt, b, s, dv);
        INDArray states = Nd4j.createUninitialized(dt, b, nc, dk, dv);
        INDArray last = Nd4j.createUninitialized(dt, b, dk, dv);
        INDArray blocks = Nd4j.createUninitialized(dt, b, nc, c0, c0);             // Q_c K_c^T ⊙ tril, kept
        RawArray q = RawArray.of(x.qh), k = RawArray.of(x.kh), v = RawArray.of(x.vh), o = RawArray.of(out);
        RawArray st = RawArray.of(states), fin = RawArray.of(last), blk = RawArray.of(blocks);
        RawArray init = s0 == null ? null : RawArray.of(s0);
        int state = dk * dv;
        KernelThreads.forEachWithBlas(b, largestProduct(dk, dv), head -> {
            long qBase = (long) head * s * dk, vBase = (long) head * s * dv;
            long stBase = (long) head * nc * state;
            if (init != null) RawArray.copy(init, (long) head * state, st, stBase, state);
            else st.zero(stBase, state);
            for (int c = 0; c < nc; c++) {
                int r0 = c * c0, len = Math.min(c0, s - r0);
                long qc = qBase + (long) r0 * dk, vc = vBase + (long) r0 * dv, pc = stBase + (long) c * state;
                long aBase = ((long) head * nc + c) * c0 * c0;
                // O_c = (Q_c K_c^T ⊙ tril) V_c + Q_c P_c
                RawArray.gemm(1, q.matrix(qc, len, dk), k.matrix(qc, len, dk).t(), 0, blk.matrix(aBase, len, len));
                zeroAboveDiagonal(blk, aBase, len);
                RawArray.gemm(1, blk.matrix(aBase, len, len), v.matrix(vc, len, dv), 0, o.matrix(vc, len, dv));
                RawArray.gemm(1, q.matrix(qc, len, dk), st.matrix(pc, dk, dv), 1, o.matrix(vc, len, dv));
                // P_{c+1} = P_c + K_c^T V_c (after the last chunk: the final state)
                RawArray next = c + 1 < nc ? st : fin;
                long pn = c + 1 < nc ? pc + state : (long) head * state;
                RawArray.copy(st, pc, next, pn, state);
                RawArray.gemm(1, k.matrix(qc, len, dk).t(), v.matrix(vc, len, dv), 1, next.matrix(pn, dk, dv));
            }
        });
        return new Scan(new ChunkedProduct(out, states, blocks), last);
    }

    @Override
    protected ProductGradients productBackward(CosineInputs x, Product product, INDArray g) {
        ChunkedProduct p = (ChunkedProduct) product;
        int b = (int) (x.n * x.heads), s = (int) x.s, dk = (int) x.dk, dv = (int) x.dv, nc = chunks(s), c0 = chunk;
        DataType dt = x.dataType;
        INDArray dq = Nd4j.createUninitialized(dt, b, s, dk), dkey = Nd4j.createUninitialized(dt, b, s, dk);
        INDArray dval = Nd4j.createUninitialized(dt, b, s, dv), blocks = Nd4j.createUninitialized(dt, b, c0, c0);
        INDArray suffix = Nd4j.create(dt, b, dk, dv);   // dS starts at zero
        RawArray q = RawArray.of(x.qh), k = RawArray.of(x.kh), v = RawArray.of(x.vh), gr = RawArray.of(g);
        RawArray st = RawArray.of(p.chunkStates()), blk = RawArray.of(blocks), dS = RawArray.of(suffix);
        RawArray kept = RawArray.of(p.maskedBlocks());
        RawArray dqR = RawArray.of(dq), dkR = RawArray.of(dkey), dvR = RawArray.of(dval);
        int state = dk * dv;
        KernelThreads.forEachWithBlas(b, largestProduct(dk, dv), head -> {
            long qBase = (long) head * s * dk, vBase = (long) head * s * dv;
            long stBase = (long) head * nc * state, aBase = (long) head * c0 * c0, sBase = (long) head * state;
            for (int c = nc - 1; c >= 0; c--) {
                int r0 = c * c0, len = Math.min(c0, s - r0);
                long qc = qBase + (long) r0 * dk, vc = vBase + (long) r0 * dv, pc = stBase + (long) c * state;
                // block = G_c V_c^T ⊙ tril: dQ_c = block K_c + G_c P_c^T, dK_c = block^T Q_c + V_c dS^T
                RawArray.gemm(1, gr.matrix(vc, len, dv), v.matrix(vc, len, dv).t(), 0, blk.matrix(aBase, len, len));
                zeroAboveDiagonal(blk, aBase, len);
                RawArray.gemm(1, blk.matrix(aBase, len, len), k.matrix(qc, len, dk), 0, dqR.matrix(qc, len, dk));
                RawArray.gemm(1, gr.matrix(vc, len, dv), st.matrix(pc, dk, dv).t(), 1, dqR.matrix(qc, len, dk));
                RawArray.gemm(1, blk.matrix(aBase, len, len).t(), q.matrix(qc, len, dk), 0, dkR.matrix(qc, len, dk));
                RawArray.gemm(1, v.matrix(vc, len, dv), dS.matrix(sBase, dk, dv).t(), 1, dkR.matrix(qc, len, dk));
                // The forward's block Q_c K_c^T ⊙ tril: dV_c = block^T G_c + K_c dS
                long kBase = ((long) head * nc + c) * c0 * c0;
                RawArray.gemm(1, kept.matrix(kBase, len, len).t(), gr.matrix(vc, len, dv), 0, dvR.matrix(vc, len, dv));
                RawArray.gemm(1, k.matrix(qc, len, dk), dS.matrix(sBase, dk, dv), 1, dvR.matrix(vc, len, dv));
                // dS += Q_c^T G_c (for the chunks before this one)
                RawArray.gemm(1, q.matrix(qc, len, dk).t(), gr.matrix(vc, len, dv), 1, dS.matrix(sBase, dk, dv));
            }
        });
        return new ProductGradients(dq, dkey, dval);
    }

    /**
     * The class comment's bound, as allocated: forward O (B, s, dv), the states P_c (B, nc, dk, dv), the final
     * state (B, dk, dv) and the kept blocks (B, nc, C, C) (C x C even when C > s: a chunk far longer than the
     * sequence costs C^2 per head); backward dq, dk (B, s, dk), dv (B, s, dv), one block (B, C, C) and dS.
     */
    @Override
    protected long productBytes(AttentionShape x, boolean backward) {
        long b = x.batchHeads(), s = x.length(), dk = x.keyDim(), dv = x.valueDim(), nc = chunks(s), c = chunk;
        long forward = AttentionShape.sum(x.bytes(b, s, dv), x.bytes(b, nc, dk, dv), x.bytes(b, dk, dv),
                x.bytes(b, nc, c, c));
        if (!backward) return forward;
        return AttentionShape.sum(forward, x.bytes(b, s, dk), x.bytes(b, s, dk), x.bytes(b, s, dv), x.bytes(b, c, c),
                x.bytes(b, dk, dv));
    }

    /** The most multiply-adds of one BLAS call of either scan: C x C blocks times d, or a C-row product with a state. */
    private long largestProduct(int dk, int dv) {
        long d = Math.max(dk, dv);
        return (long) chunk * Math.max(chunk * d, (long) dk * dv);
    }

    /** Zeroes the entries above the diagonal of the (len x len) row-major block at off. */
    private static void zeroAboveDiagonal(RawArray a, long off, int len) {
        for (int i = 0; i < len - 1; i++) a.zero(off + (long) i * len + i + 1, len - i - 1);
    }

    @Override
    public DecodingState newDecodingState(int batch, int heads, int keyDim, int valueDim, DataType dataType) {
        return new RecurrentCosineState(batch, heads, keyDim, valueDim, DataType.DOUBLE, this);
    }
}
