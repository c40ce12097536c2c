package org.cottention.models;

/**
 * A sequence-classification batch (GLUE-style fine-tuning).
 *
 * @param ids        (N, s) token ids, [CLS] first
 * @param tokenTypes (N, s) segment ids, or null for all 0
 * @param mask       (N, s) 1 = real token; null = all real
 * @param labels     (N) class per sequence
 */
public record ClassificationBatch(int[][] ids, int[][] tokenTypes, float[][] mask, int[] labels) implements SequenceBatch {
    public ClassificationBatch {
        int[] ns = BatchArrays.shape("ids", ids);
        BatchArrays.sameShape("token types", tokenTypes, ns[0], ns[1]);
        BatchArrays.maskShape(mask, ns[0], ns[1]);
        if (labels == null || labels.length != ns[0]) throw new IllegalArgumentException("labels: one per sequence required");
    }
}
