package org.cottention.harness.data.batch;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cottention.models.ClassificationBatch;

/**
 * Byte-level classification batches for a BERT with {@link ByteText}'s vocabulary: [CLS] the text's UTF-8 bytes
 * [SEP], the bytes cut to maxLen - 2, padded to the longest sequence of each batch. Token types all 0.
 */
public final class ByteClassificationBatches extends Batches<ClassificationBatch> {
    private final List<int[]> sequences = new ArrayList<>();
    private final int[] labels;

    public ByteClassificationBatches(List<String> texts, int[] labels, int maxLen) {
        if (maxLen < 3) throw new IllegalArgumentException("maxLen must be at least 3, got " + maxLen);
        if (texts.size() != labels.length) throw new IllegalArgumentException("texts and labels differ in number");
        this.labels = labels.clone();
        for (String t : texts) {
            byte[] bytes = t.getBytes(StandardCharsets.UTF_8);
            int len = Math.min(bytes.length, maxLen - 2);
            int[] seq = new int[len + 2];
            seq[0] = ByteText.CLS;
            for (int i = 0; i < len; i++) seq[i + 1] = bytes[i] & 0xFF;
            seq[len + 1] = ByteText.SEP;
            sequences.add(seq);
        }
    }

    @Override
    public int size() {
        return sequences.size();
    }

    @Override
    public ClassificationBatch batch(int[] indices, SplittableRandom rng) {
        int n = indices.length;
        List<int[]> seqs = new ArrayList<>(n);
        for (int i : indices) seqs.add(sequences.get(i));
        int s = maxLength(seqs);
        int[][] ids = filled(n, s, ByteText.PAD);
        float[][] mask = new float[n][s];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int[] seq = seqs.get(i);
            System.arraycopy(seq, 0, ids[i], 0, seq.length);
            for (int j = 0; j < seq.length; j++) mask[i][j] = 1f;
            y[i] = labels[indices[i]];
        }
        return new ClassificationBatch(ids, new int[n][s], mask, y);
    }
}
