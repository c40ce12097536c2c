package org.cottention.harness.model;

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
        int[] ns = Batches.shape("ids", ids);
        Batches.maskShape(mask, ns[0], ns[1]);
        if (labels == null) throw new IllegalArgumentException("labels are required");
        Batches.sameShape("labels", labels, ns[0], ns[1]);
    }
}
