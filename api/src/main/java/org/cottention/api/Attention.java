package org.cottention.api;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One attention mechanism with an explicit forward and backward on ND4J arrays. Models hold an Attention and do
 * not know which one; the stabiliser m is a parameter of the model, passed in and differentiated here.
 *
 * <p>Shapes: q, k (N, H, s, dk); v (N, H, s, dv); mask (N, s) with 1 = real token; m (H); output (N, H, s, dv).
 * Computation happens in the dtype of q (FLOAT or DOUBLE). Implementations are stateless between calls and
 * allocate in the current ND4J workspace, if one is open.
 */
public interface Attention {

    /** Registry name, e.g. "cosine-chunked" or "softmax-materialized". */
    String name();

    AttentionKind kind();

    boolean causal();

    /** Runs the forward pass; the result holds the output and whatever the backward pass needs. */
    Forward forward(AttentionInput input);

    /** Gradients of L given dL/dO (N, H, s, dv), for the call that produced {@code forward}. */
    AttentionGradients backward(Forward forward, INDArray gradOutput);

    /**
     * The bytes of native (off-heap) memory that one {@link #forward} (and, with {@code backward}, the
     * {@link #backward} after it) allocates for a call of this shape, its inputs excluded: every array it creates,
     * the output and the gradients included, as an ND4J workspace records them (a test per module holds each
     * implementation to at least what it allocates and at most twice that, plus a few KiB). Callers compare it
     * with the memory available BEFORE allocating anything: an ND4J allocation the machine cannot back crashes
     * the JVM. Java heap arrays are not counted (the heap is bounded by -Xmx and fails with an
     * OutOfMemoryError, not a crash).
     */
    long workingBytes(AttentionShape shape, boolean backward);

    /** A state for generating tokens one (or a few) at a time; only causal attentions have one. */
    default DecodingState newDecodingState(int batch, int heads, int keyDim, int valueDim, DataType dataType) {
        throw new UnsupportedOperationException(name() + " is not causal: it has no decoding state");
    }

    /** The output of a forward pass, plus the tensors its backward pass reads. */
    interface Forward {
        /** (N, H, s, dv) */
        INDArray output();
    }
}
