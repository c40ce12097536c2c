package org.cottention.api;

/**
 * A capability a {@link DecodingState} declares: it can forget its last tokens, as a KV cache can by dropping
 * entries. A recurrent state, which has summed its tokens into a fixed-size matrix, cannot.
 */
public interface TruncatableState extends DecodingState {
    /** Forgets every token from {@code position} on, as if only that many had been appended. */
    void truncate(long position);
}
