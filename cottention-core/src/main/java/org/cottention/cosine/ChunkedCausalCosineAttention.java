package org.cottention.cosine;

import org.cottention.api.AttentionInput;
import org.cottention.api.DecodingState;
import org.cottention.api.Nd;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Causal (GPT-J) cosine attention in chunked form. The sequence is cut into chunks of C tokens; within a chunk
 * the product is the masked quadratic (Qc Kc^T ⊙ tril) Vc, and the earlier chunks enter through an exclusive
 * prefix sum of per-chunk states Kc^T Vc (dk x dv):
 * <pre>
 *   O_c = (Q_c K_c^T ⊙ tril) V_c + Q_c P_c,   P_c = S_0 + sum_{c' < c} K_c'^T V_c'
 * </pre>
 * Backward (G = dL/dO, dS_c = sum_{c' > c} Q_c'^T G_c', a reverse exclusive prefix sum):
 * <pre>
 *   dQ_c = (G_c V_c^T ⊙ tril) K_c + G_c P_c^T
 *   dK_c = (G_c V_c^T ⊙ tril)^T Q_c + V_c dS_c^T
 *   dV_c = (Q_c K_c^T ⊙ tril)^T G_c + K_c dS_c
 * </pre>
 * Memory for forward + backward, per head: O(s d) for qh, kh, vh, G and the gradients, O(s C) for one chunk
 * similarity block per chunk, O((s / C) dk dv) for the prefix states; nothing of size s x s or s x dk x dv.
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

    @Override
    protected long paddedLength(long s) {
        return (s + chunk - 1) / chunk * chunk;
    }

    /**
     * Forward pass continuing from an earlier state (its counts continue the divisor's count); returns the output
     * and, through {@link StatefulForward#finalState()}, the state after the last token. No gradient flows into
     * the initial state.
     */
    public StatefulForward forward(AttentionInput input, CosineState initial) {
        double[] counts = initial == null ? null : initial.counts();
        CosineInputs x = CosineInputs.prepare(input, true, paddedLength(input.length()), counts);
        INDArray s0 = initial == null ? null
                : Nd.flattenHeads(initial.state()).permute(0, 2, 1).castTo(x.dataType); // (B, dk, dv)
        Chunks fwd = chunkedProduct(x, s0);
        double[] finalCounts = new double[(int) x.n];
        double[][] mask = input.maskValues();
        for (int b = 0; b < x.n; b++) {
            finalCounts[b] = counts == null ? 0 : counts[b];
            for (double p : mask[b]) finalCounts[b] += p;
        }
        INDArray finalState = fwd.last.permute(0, 2, 1).dup('c').reshape('c', x.n, x.heads, x.dv, x.dk);
        return new StatefulForward(x, fwd.product, x.unpadded(fwd.product.output()),
                new CosineState(finalState, finalCounts));
    }

    /** A forward pass that also carries the state after its last token. */
    public static final class StatefulForward {
        public final CosineForward forward;
        private final CosineState finalState;

        StatefulForward(CosineInputs x, Product p, INDArray output, CosineState finalState) {
            this.forward = new CosineForward(x, p, output);
            this.finalState = finalState;
        }

        public INDArray output() {
            return forward.output();
        }

        public CosineState finalState() {
            return finalState;
        }
    }

    @Override
    protected Product product(CosineInputs x) {
        return chunkedProduct(x, null).product;
    }

    private record Chunks(Product product, INDArray last) {}

    /** s0: (B, dk, dv) initial state or null. Returns the product (saved = prefix states P) and the final state. */
    private Chunks chunkedProduct(CosineInputs x, INDArray s0) {
        long b = x.n * x.heads, nc = x.sPad / chunk, bc = b * nc;
        DataType dt = x.dataType;
        INDArray qc = x.qh.reshape('c', bc, chunk, x.dk);
        INDArray kc = x.kh.reshape('c', bc, chunk, x.dk);
        INDArray vc = x.vh.reshape('c', bc, chunk, x.dv);
        INDArray tri = QuadraticCosineAttention.lowerTriangle(chunk, x.qh);

        // Intra-chunk: (Qc Kc^T ⊙ tril) Vc.                                   a: (B*nc, C, C), out: (B*nc, C, dv)
        INDArray a = Nd.mmul(qc, false, kc, true, Nd4j.create(dt, bc, chunk, chunk), 0.0).muli(tri);
        INDArray out = Nd.mmul(a, false, vc, false, Nd4j.create(dt, bc, chunk, x.dv), 0.0);
        // Per-chunk states and their exclusive prefix sum.                    states, prefix: (B, nc, dk, dv)
        INDArray states = Nd.mmul(kc, true, vc, false, Nd4j.create(dt, bc, x.dk, x.dv), 0.0)
                .reshape('c', b, nc, x.dk, x.dv);
        INDArray prefix = exclusivePrefixSum(states, false);
        if (s0 != null) prefix.addi(s0.reshape('c', b, 1, x.dk, x.dv));
        // Inter-chunk: out += Qc P_c.
        INDArray prefixFlat = prefix.reshape('c', bc, x.dk, x.dv);
        Nd.mmul(qc, false, prefixFlat, false, out, 1.0);
        INDArray last = prefix.get(NDArrayIndex.all(), NDArrayIndex.point(nc - 1), NDArrayIndex.all(), NDArrayIndex.all())
                .add(states.get(NDArrayIndex.all(), NDArrayIndex.point(nc - 1), NDArrayIndex.all(), NDArrayIndex.all()));
        return new Chunks(new Product(out.reshape('c', b, x.sPad, x.dv), prefixFlat), last);
    }

    @Override
    protected INDArray[] productBackward(CosineInputs x, Product product, INDArray g) {
        long b = x.n * x.heads, nc = x.sPad / chunk, bc = b * nc;
        DataType dt = x.dataType;
        INDArray qc = x.qh.reshape('c', bc, chunk, x.dk);
        INDArray kc = x.kh.reshape('c', bc, chunk, x.dk);
        INDArray vc = x.vh.reshape('c', bc, chunk, x.dv);
        INDArray gc = g.reshape('c', bc, chunk, x.dv);
        INDArray prefix = product.saved();                                       // (B*nc, dk, dv)
        INDArray tri = QuadraticCosineAttention.lowerTriangle(chunk, x.qh);

        // Intra-chunk terms. block holds (Gc Vc^T ⊙ tril), then (Qc Kc^T ⊙ tril).      (B*nc, C, C)
        INDArray block = Nd.mmul(gc, false, vc, true, Nd4j.create(dt, bc, chunk, chunk), 0.0).muli(tri);
        INDArray dq = Nd.mmul(block, false, kc, false, Nd4j.create(dt, bc, chunk, x.dk), 0.0);
        INDArray dk = Nd.mmul(block, true, qc, false, Nd4j.create(dt, bc, chunk, x.dk), 0.0);
        Nd.mmul(qc, false, kc, true, block, 0.0).muli(tri);
        INDArray dv = Nd.mmul(block, true, gc, false, Nd4j.create(dt, bc, chunk, x.dv), 0.0);

        // Inter-chunk terms.
        Nd.mmul(gc, false, prefix, true, dq, 1.0);                                // dQ_c += G_c P_c^T
        INDArray perChunk = Nd.mmul(qc, true, gc, false, Nd4j.create(dt, bc, x.dk, x.dv), 0.0)
                .reshape('c', b, nc, x.dk, x.dv);                                  // Q_c^T G_c
        INDArray suffix = exclusivePrefixSum(perChunk, true);                    // dS_c = sum_{c' > c}
        INDArray suffixFlat = suffix.reshape('c', bc, x.dk, x.dv);
        Nd.mmul(vc, false, suffixFlat, true, dk, 1.0);                            // dK_c += V_c dS_c^T
        Nd.mmul(kc, false, suffixFlat, false, dv, 1.0);                           // dV_c += K_c dS_c

        return new INDArray[] {
            dq.reshape('c', b, x.sPad, x.dk), dk.reshape('c', b, x.sPad, x.dk), dv.reshape('c', b, x.sPad, x.dv)};
    }

    /**
     * Exclusive prefix sum over axis 1 of (B, nc, dk, dv): out_c = sum_{c' < c} x_c' (reverse: c' > c), a new array.
     * A loop of nc adds rather than ND4J's CumSum op: in 1.0.0-M2.1 that op leaks ~24x its array size of native memory
     * per call, inside or outside a workspace (measured; docs/models.md), which made training memory grow without bound.
     */
    static INDArray exclusivePrefixSum(INDArray x, boolean reverse) {
        long nc = x.size(1);
        INDArray out = Nd4j.create(x.dataType(), x.shape());
        for (long i = 1; i < nc; i++) {
            long c = reverse ? nc - 1 - i : i, previous = reverse ? c + 1 : c - 1;
            out.get(NDArrayIndex.all(), NDArrayIndex.point(c), NDArrayIndex.all(), NDArrayIndex.all())
                    .assign(out.get(NDArrayIndex.all(), NDArrayIndex.point(previous), NDArrayIndex.all(), NDArrayIndex.all())
                            .add(x.get(NDArrayIndex.all(), NDArrayIndex.point(previous), NDArrayIndex.all(), NDArrayIndex.all())));
        }
        return out;
    }

    @Override
    public DecodingState newDecodingState(int batch, int heads, int keyDim, int valueDim, DataType dataType) {
        return new RecurrentCosineState(batch, heads, keyDim, valueDim, DataType.DOUBLE, this);
    }
}
