package org.cottention.models;

/**
 * A causal language-model batch.
 *
 * @param ids    (N, s) token ids
 * @param mask   (N, s) 1 = real token, 0 = padding; null = all real
 * @param labels (N, s) the token to predict AT each position (already shifted: usually ids[t+1]), or
 *               {@link CrossEntropy#IGNORE} where nothing is predicted
 */
public record LmBatch(int[][] ids, float[][] mask, int[][] labels) implements SequenceBatch {
    public LmBatch {
        int[] ns = BatchArrays.shape("ids", ids);
        BatchArrays.maskShape(mask, ns[0], ns[1]);
        if (labels == null) throw new IllegalArgumentException("labels are required");
        BatchArrays.sameShape("labels", labels, ns[0], ns[1]);
    }
}
