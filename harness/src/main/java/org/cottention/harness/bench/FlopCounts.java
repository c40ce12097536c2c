package org.cottention.harness.bench;

import org.cottention.cosine.BidirectionalCosineAttention;
import org.cottention.cosine.ChunkedCausalCosineAttention;

/**
 * FLOP counts used for GFLOP/s (multiply and add count as 2). One place, documented in the README.
 * <ul>
 * <li>Quadratic attention (softmax, and the quadratic / reference cosine forms), the FlashAttention convention:
 *     forward 4 N H s^2 d, halved when causal; backward 2.5x forward.</li>
 * <li>Chunked causal cosine (chunk C), every dense product it performs per head: forward
 *     2 s C (dk + dv) + 4 s dk dv (the full C x C blocks of Q K^T and A V, the chunk states K^T V and the
 *     inter-chunk Q P); backward 4 s C (dk + dv) + 8 s dk dv (G V^T, its products with K and Q, the kept
 *     blocks with G, and four state products). The forward keeps its blocks, so nothing is recomputed.</li>
 * <li>Bidirectional cosine, linear order: forward 4 s dk dv, backward 8 s dk dv per head.</li>
 * <li>One decoding step per head: cosine 4 dk dv (state update and read-out); softmax 4 p d at position p.</li>
 * <li>A training step (forward + backward) of a model, "model FLOPs" as in MFU: every dense product 6x its
 *     multiply-adds (2 forward, 4 backward), the attention as above, the output layer on the rows that carry a
 *     loss; embeddings, norms and elementwise steps count nothing (they are what a faster step must remove).</li>
 * </ul>
 */
public final class FlopCounts {
    private FlopCounts() {}

    public static double attention(String impl, boolean causal, boolean backward, long n, long h, long s, long d,
                                   long chunk) {
        double perHead;
        if (impl.equals(ChunkedCausalCosineAttention.NAME)) {
            double fwd = 2.0 * s * chunk * (d + d) + 4.0 * s * d * d;
            double bwd = 4.0 * s * chunk * (d + d) + 8.0 * s * d * d;
            perHead = fwd + (backward ? bwd : 0);
        } else if (impl.equals(BidirectionalCosineAttention.NAME) && s >= d) {
            perHead = 4.0 * s * d * d * (backward ? 3 : 1);
        } else {
            double fwd = 4.0 * s * s * d / (causal ? 2 : 1);
            perHead = fwd * (backward ? 3.5 : 1);
        }
        return perHead * n * h;
    }

    public static double decodeStep(String kind, long n, long h, long position, long d) {
        return (kind.equals("cosine") ? 4.0 * d * d : 4.0 * (position + 1) * d) * n * h;
    }

    /**
     * Model FLOPs of one training step (forward + backward) of a GPT-J or BERT model on a batch of n sequences of
     * s positions of which lossRows carry a loss (GPT-J: every labelled position; BERT: the masked positions, whose
     * MLM head runs on those rows only), with the given attention implementation.
     * <ul>
     * <li>per layer and position: q, k, v, out projections 4 E^2 and the MLP 2 E I multiply-adds;</li>
     * <li>the output layer per loss row: GPT-J's lm_head E V; BERT's transform E^2 + decoder E V;</li>
     * <li>BERT's pooler and NSP head per sequence: E^2 + 2 E;</li>
     * <li>the attention per layer: {@link #attention} forward + backward.</li>
     * </ul>
     */
    public static double trainingStep(boolean bert, String impl, long n, long s, long lossRows, long layers,
                                      long hidden, long heads, long intermediate, long vocab, long chunk) {
        double dense = (double) n * s * layers * (4.0 * hidden * hidden + 2.0 * hidden * intermediate);
        double head = (double) lossRows * (hidden * vocab + (bert ? hidden * hidden : 0));
        double nsp = bert ? (double) n * (hidden * hidden + 2.0 * hidden) : 0;
        double attention = layers * attention(impl, !bert, true, n, heads, s, hidden / heads, chunk);
        return 6 * (dense + head + nsp) + attention;
    }
}
