package org.cottention.models;

import org.cottention.api.Attention;

/**
 * A trainable model on batches of type B. The trainer, the optimiser and the checkpoints see only this.
 *
 * @param <B> the batch type (LmBatch, MlmBatch, ClassificationBatch)
 */
public interface Model<B> {

    ModelConfig config();

    /** The attention every layer uses. */
    Attention attention();

    Parameters parameters();

    /**
     * Forward and backward on one batch: the gradient of gradScale * loss is ADDED to {@link Parameters#grads()}
     * (accumulation over micro-batches = scale 1/k each; zero the gradients between optimiser steps).
     */
    Loss trainStep(B batch, double gradScale, Pass pass);

    /** Forward only, dropout off. */
    Loss evaluate(B batch);

    /** Positions processed for this batch (N * s), the unit of tokens/s. */
    long positions(B batch);

    /** Real (unpadded) tokens of this batch; positions(batch) when it has no padding. */
    default long realTokens(B batch) {
        return positions(batch);
    }
}
