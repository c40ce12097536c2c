package org.cottention.models;

/**
 * A BERT pre-training batch: masked-language-model labels and, optionally, next-sentence labels.
 *
 * @param ids          (N, s) token ids, with [MASK] etc. already substituted
 * @param tokenTypes   (N, s) segment ids (0 / 1), or null for all 0
 * @param mask         (N, s) 1 = real token, 0 = padding; null = all real
 * @param labels       (N, s) original token at masked positions, {@link CrossEntropy#IGNORE} elsewhere
 * @param nextSentence (N) NSP label per sequence (0 = B follows A, 1 = random B, as the reference), or null for
 *                     no NSP loss
 */
public record MlmBatch(int[][] ids, int[][] tokenTypes, float[][] mask, int[][] labels, int[] nextSentence) implements SequenceBatch {
    public MlmBatch {
        int[] ns = BatchArrays.shape("ids", ids);
        BatchArrays.sameShape("token types", tokenTypes, ns[0], ns[1]);
        BatchArrays.maskShape(mask, ns[0], ns[1]);
        if (labels == null) throw new IllegalArgumentException("labels are required");
        BatchArrays.sameShape("labels", labels, ns[0], ns[1]);
        if (nextSentence != null && nextSentence.length != ns[0]) {
            throw new IllegalArgumentException("next-sentence labels: " + nextSentence.length + ", expected " + ns[0]);
        }
    }
}
