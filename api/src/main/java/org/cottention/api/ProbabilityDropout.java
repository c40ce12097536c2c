package org.cottention.api;

/**
 * An attention that materialises probabilities and can apply dropout to them, as BERT's softmax baseline does
 * (attention_probs_dropout_prob 0.1). Cosine attention has no probabilities and does not implement this; the
 * paper's cosine BERT never applied its attention dropout either (paper-spec §3). Models apply attention dropout
 * only through this interface, so an attention without it simply gets none.
 */
public interface ProbabilityDropout {

    /**
     * Like {@link Attention#forward} but with inverted dropout of the given rate on the attention probabilities,
     * the keep-mask drawn from {@code seed} ({@link Nd#dropoutMask}); rate 0 is the plain forward. The returned
     * Forward goes to the same {@link Attention#backward}, which applies the same mask.
     */
    Attention.Forward forward(AttentionInput input, double rate, long seed);

    /** The bytes a forward with a rate > 0 allocates beyond {@link Attention#workingBytes} (the keep-mask...). */
    long dropoutBytes(AttentionShape shape);
}
