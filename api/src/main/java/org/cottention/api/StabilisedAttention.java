package org.cottention.api;

import org.cottention.reference.StabilizerExponent;

/**
 * A capability an attention declares: it divides its values by max(count^sigma(m), 1) with a learned stabiliser m,
 * one raw parameter per head (cosine attention, paper §3.3). It reads {@link AttentionInput#m()} and returns dL/dm
 * in {@link AttentionGradients#dm()}. A model gives each layer whose attention declares this one (H) parameter m,
 * initialised to {@link #INITIAL_M}; an attention without it ignores m and returns dm = null.
 */
public interface StabilisedAttention extends Attention {
    /** The paper's initial value of every m (sigma(0.5) = 0.6225), defined once, in the reference math. */
    double INITIAL_M = StabilizerExponent.INITIAL_M;
}
