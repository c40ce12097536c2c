package org.cottention.models;

import org.cottention.api.Attention;
import org.cottention.api.AttentionShape;
import org.cottention.api.ProbabilityDropout;

/**
 * The native memory one training step (forward + backward) or one evaluation step (forward) of a model allocates
 * in its workspace, estimated from the shapes before anything is built: per layer, the attention's own estimate
 * ({@link Attention#workingBytes}, plus {@link ProbabilityDropout#dropoutBytes} when its dropout is on) and the
 * dense layers' activations and their gradients, counted in (M, E) and (M, I) arrays with M = N s rows; then the
 * embeddings and the head, in (M, E) and (M, V) arrays. The counts are those of the layers' code (BertLayer,
 * GptJBlock, Linear, LayerNorm, Dropout, CrossEntropy), rounded up; StepMemoryTest holds them to what a step really
 * allocates. Parameters, gradients and optimiser state live outside the workspace and are not included.
 */
public final class StepMemory {
    private StepMemory() {}

    /** (M, E) arrays per layer: projections, head split/merge copies, LayerNorms, dropouts, residuals, gradients. */
    static final int LAYER_HIDDEN = 40;
    /** (M, I) arrays per layer: the MLP's inner activations and their gradients. */
    static final int LAYER_INNER = 6;
    /** (M, E) arrays per hidden dropout: its mask, its output and its gradient. */
    static final int DROPOUT = 3;
    /** float64 row scalars (LayerNorm statistics, masks) per layer and per model. */
    static final int ROW_SCALARS = 16;

    /** Bytes of one step of a model built from {@code config} and {@code attention} on n sequences of s positions. */
    static long layers(ModelConfig c, Attention attention, long n, long s, boolean backward) {
        long m = AttentionShape.times(n, s), e = c.dataType().width(), d = c.hidden() / c.heads();
        AttentionShape shape = new AttentionShape(n, c.heads(), s, d, d, c.dataType());
        long att = attention.workingBytes(shape, backward);
        if (backward && c.attentionDropout() > 0 && attention instanceof ProbabilityDropout p) {
            att = AttentionShape.sum(att, p.dropoutBytes(shape));
        }
        int hiddenArrays = LAYER_HIDDEN + (c.hiddenDropout() > 0 ? 2 * DROPOUT : 0);    // after attention and MLP
        long dense = AttentionShape.times(e, m, AttentionShape.sum(AttentionShape.times(hiddenArrays, c.hidden()),
                AttentionShape.times(LAYER_INNER, c.intermediate())));
        long perLayer = AttentionShape.sum(att, forwardShare(dense, backward), AttentionShape.times(ROW_SCALARS, 8, m));
        return AttentionShape.times(c.layers(), perLayer);
    }

    /**
     * Around the layers: hiddenArrays (M, E) arrays (and a dropout's, after the embeddings, when on) and
     * outputArrays (outputRows, width) arrays for the head.
     */
    static long around(ModelConfig c, long n, long s, int hiddenArrays, long outputRows, long width, int outputArrays,
                       boolean backward) {
        long m = AttentionShape.times(n, s), e = c.dataType().width();
        if (c.hiddenDropout() > 0) hiddenArrays += DROPOUT;
        long hidden = AttentionShape.times(e, m, hiddenArrays, c.hidden());
        long head = AttentionShape.times(e, outputRows, width, outputArrays);
        // The head: its logits, and in a training step their gradient (the fused cross-entropy makes no other array).
        return AttentionShape.sum(forwardShare(hidden, backward), head, AttentionShape.times(ROW_SCALARS, 8, m));
    }

    /** A forward alone allocates about half of what forward + backward do. */
    private static long forwardShare(long bytes, boolean backward) {
        return backward ? bytes : bytes / 2;
    }
}
