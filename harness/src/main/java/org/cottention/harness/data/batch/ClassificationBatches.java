package org.cottention.harness.data.batch;

import org.cottention.models.ClassificationBatch;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cottention.harness.data.text.Example;
import org.cottention.harness.data.tokenize.WordPieceTokenizer;

/**
 * Sequence-classification batches: [CLS] A [SEP] for single sentences, [CLS] A [SEP] B [SEP] for pairs, cut to
 * maxLen (a single sentence loses its end; a pair loses tokens from the end of its longer segment, one at a
 * time, as Hugging Face's "longest_first"). Token types 0 for A, 1 for B, 0 for padding.
 */
public final class ClassificationBatches extends Batches<ClassificationBatch> {
    private final List<int[]> sequences = new ArrayList<>();
    private final List<Integer> firstSep = new ArrayList<>();
    private final int[] labels;
    private final WordPieceTokenizer tok;

    public ClassificationBatches(List<Example> examples, WordPieceTokenizer tok, int maxLen) {
        if (maxLen < 5) throw new IllegalArgumentException("maxLen must be at least 5, got " + maxLen);
        this.tok = tok;
        this.labels = new int[examples.size()];
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            int[] a = tok.encode(e.text());
            int[] b = e.isPair() ? tok.encode(e.textB()) : new int[0];
            int budget = maxLen - (e.isPair() ? 3 : 2);
            int la = a.length, lb = b.length;
            while (la + lb > budget) {
                if (la >= lb) la--;
                else lb--;
            }
            int[] seq = bertSequence(tok, a, la, e.isPair() ? b : null, lb);
            sequences.add(seq);
            firstSep.add(la + 1);
            labels[i] = e.label();
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
        int[][] ids = filled(n, s, tok.pad), types = new int[n][s];
        float[][] mask = new float[n][s];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int[] seq = seqs.get(i);
            System.arraycopy(seq, 0, ids[i], 0, seq.length);
            for (int j = 0; j < seq.length; j++) {
                mask[i][j] = 1f;
                if (j > firstSep.get(indices[i])) types[i][j] = 1;
            }
            y[i] = labels[indices[i]];
        }
        return new ClassificationBatch(ids, types, mask, y);
    }
}
