package org.cottention.api;

/** The two attention mechanisms the suite compares. */
public enum AttentionKind {
    /** Cosine attention (Cottention): Nrm(Q) Nrm(K)^T V with V divided by count^sigma(m). */
    COSINE,
    /** Softmax attention, softmax(Q K^T / sqrt(dk)) V: the paper's baseline. */
    SOFTMAX;

    /** Lower-case name as used on the command line: "cosine" or "softmax". */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
