package org.cottention.models;

/** A batch of N token sequences of length s (the batch records share this). */
public interface SequenceBatch {
    /** (N, s) token ids. */
    int[][] ids();

    default int batch() {
        return ids().length;
    }

    default int length() {
        return ids()[0].length;
    }

    /** (N, s) 1 = real token, 0 = padding; null when every token is real. */
    float[][] mask();
}
