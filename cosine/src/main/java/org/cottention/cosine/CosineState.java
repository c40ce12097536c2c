package org.cottention.cosine;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The recurrent state of causal cosine attention after some tokens (paper §5): per (sequence, head) the sum of
 * vh_t kh_t^T so far, and per sequence the number of real tokens seen (the divisor's count continues from it).
 * Plays the role of flash-linear-attention's {@code initial_state} / {@code final_state}.
 *
 * @param state  (N, H, dv, dk)
 * @param counts (N) real tokens seen per sequence
 */
public record CosineState(INDArray state, double[] counts) {
    public CosineState {
        if (state.rank() != 4 || state.size(0) != counts.length) {
            throw new IllegalArgumentException("state must be (N, H, dv, dk) with N = counts.length");
        }
        counts = counts.clone();
    }

    @Override
    public double[] counts() {
        return counts.clone();
    }
}
