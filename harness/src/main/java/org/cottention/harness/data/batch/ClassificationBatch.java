package org.cottention.harness.data.batch;

/**
 * A sequence-classification batch, N sequences padded to the longest (s).
 *
 * @param inputIds     [CLS] A [SEP] (B [SEP]) then [PAD], shape (N, s)
 * @param tokenTypeIds 0 for [CLS] A [SEP], 1 for B [SEP], 0 for padding; (N, s)
 * @param mask         1 = real token, 0 = padding; (N, s)
 * @param labels       class index per sequence; (N)
 */
public record ClassificationBatch(int[][] inputIds, int[][] tokenTypeIds, float[][] mask, int[] labels) {
    public int size() {
        return inputIds.length;
    }

    public int length() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }
}
