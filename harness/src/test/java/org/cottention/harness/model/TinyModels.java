package org.cottention.harness.model;

import org.cottention.api.Attention;
import org.cottention.api.AttentionKind;
import org.cottention.harness.attention.AttentionRegistry;

/** Attentions for tests: the registry's default implementation of a kind for a mode. */
final class TinyModels {
    private TinyModels() {}

    static Attention attention(AttentionKind kind, boolean causal) {
        return AttentionRegistry.defaultFor(kind, causal).create(causal, 4);
    }
}
