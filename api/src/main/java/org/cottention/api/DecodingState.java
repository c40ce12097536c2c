package org.cottention.api;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Incremental causal attention for generation: tokens are appended in order and each attends to all tokens
 * appended so far. Cosine attention keeps a (dv x dk) state per head (constant memory); softmax keeps a KV cache
 * that grows with every token.
 */
public interface DecodingState {

    /**
     * Appends L new tokens and returns their outputs.
     *
     * @param q    (N, H, L, dk)
     * @param k    (N, H, L, dk)
     * @param v    (N, H, L, dv)
     * @param mask (N, L), 1 = real token, or null for all real
     * @param m    (H) raw stabiliser parameters, or null (0.5 each); ignored by softmax
     * @return (N, H, L, dv), in q's dtype
     */
    INDArray append(INDArray q, INDArray k, INDArray v, INDArray mask, INDArray m);

    /**
     * Appends L tokens whose outputs are not needed, e.g. a prompt brought in before decoding is timed: k (N, H, L,
     * dk), v (N, H, L, dv). A state may do this more cheaply than {@link #append}; by default it is append with the
     * keys as queries (dk = dk), the outputs dropped.
     */
    default void prefill(INDArray k, INDArray v, INDArray mask, INDArray m) {
        append(k, k, v, mask, m);
    }

    /** Makes room now for {@code tokens} tokens in all (a growing cache); a state of fixed size ignores it. */
    default void reserve(long tokens) {}

    /** Tokens appended so far (real or padding). */
    long position();

    /** Bytes of array memory this state holds now. */
    long bytes();

    /** Back to the empty state (position 0). */
    void reset();
}
