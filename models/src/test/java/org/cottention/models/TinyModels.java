package org.cottention.models;

import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.cottention.cosine.BidirectionalCosineAttention;
import org.cottention.cosine.ChunkedCausalCosineAttention;
import org.cottention.softmax.SoftmaxAttention;

/** Attentions for the model tests: the CPU implementation of each kind for each mode (what the experiments run). */
final class TinyModels {
    private TinyModels() {}

    /** chunk: the chunked causal cosine's chunk size (4 < the tests' s = 7: a chunk boundary is crossed). */
    static Attention attention(AttentionKind kind, boolean causal, int chunk) {
        if (kind == AttentionKind.SOFTMAX) return new SoftmaxAttention(causal);
        return causal ? new ChunkedCausalCosineAttention(chunk) : new BidirectionalCosineAttention();
    }

    static Attention attention(AttentionKind kind, boolean causal) {
        return attention(kind, causal, 4);
    }
}
