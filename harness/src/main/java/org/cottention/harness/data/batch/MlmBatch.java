package org.cottention.harness.data.batch;

/**
 * A BERT pretraining batch, N sequences padded to the longest (s); every array is row-major (N, s) or (N).
 *
 * @param inputIds     WordPiece ids after masking: [CLS] A [SEP] B [SEP] then [PAD]
 * @param tokenTypeIds 0 up to and including the first [SEP], 1 after it (padding too, as the reference code)
 * @param mask         1 = real token, 0 = padding (the attention interface's convention)
 * @param labels       the original id where a token was selected for MLM, {@link #IGNORE} elsewhere
 * @param nspLabels    0 = B follows A in the document, 1 = B is a random sentence; null when NSP is off
 */
public record MlmBatch(int[][] inputIds, int[][] tokenTypeIds, float[][] mask, int[][] labels, int[] nspLabels) {
    /** Label of positions that carry no MLM loss (PyTorch's cross-entropy ignore_index). */
    public static final int IGNORE = -100;

    public int size() {
        return inputIds.length;
    }

    public int length() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }
}
