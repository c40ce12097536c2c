package org.cottention.harness.data.batch;

/**
 * A causal language-model batch of N windows padded to the longest (s), paper-spec §8.3: targets are the inputs
 * shifted by one, and the loss counts where the input position is real, so a document's last token learns to
 * predict the end-of-text id.
 *
 * @param inputIds inputs; after the real tokens comes end-of-text, which also pads; (N, s)
 * @param mask     1 = real input token, 0 = padding; (N, s)
 * @param targets  the token after each input position (end-of-text after a document's last token); (N, s)
 * @param lossMask 1 where the loss counts (equal to mask), 0 elsewhere; (N, s)
 */
public record LmBatch(int[][] inputIds, float[][] mask, int[][] targets, float[][] lossMask) {
    public int size() {
        return inputIds.length;
    }

    public int length() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }
}
