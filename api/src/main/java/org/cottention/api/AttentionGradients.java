package org.cottention.api;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradients of a scalar loss with respect to the inputs of one attention call, in the input dtype.
 *
 * @param dq (N, H, s, dk)
 * @param dk (N, H, s, dk)
 * @param dv (N, H, s, dv)
 * @param dm (H) for cosine attention (the raw stabiliser parameters); null for softmax attention
 */
public record AttentionGradients(INDArray dq, INDArray dk, INDArray dv, INDArray dm) {}
