package org.cottention.harness.data.batch;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.cottention.harness.data.tokenize.WordPieceTokenizer;

/**
 * A list of prepared (tokenized) examples that makes batches, padded to the longest example of each batch.
 * {@link #epoch} visits every example once in an order shuffled with the seed; {@link #inOrder} keeps the
 * order (evaluation). Batch b draws its randomness (masking, NSP) from the b-th {@link SplittableRandom#split()}
 * of a generator seeded with the seed: the same seed gives the same batches.
 */
public abstract class Batches<B> {
    /** Number of examples (sentence pairs, classification examples or LM windows). */
    public abstract int size();

    /** One batch of the given examples; rng supplies any randomness the format needs. */
    public abstract B batch(int[] indices, SplittableRandom rng);

    public Iterable<B> epoch(int batchSize, long seed) {
        List<Integer> order = new ArrayList<>(IntStream.range(0, size()).boxed().toList());
        java.util.Collections.shuffle(order, new Random(seed));
        return batches(order.stream().mapToInt(Integer::intValue).toArray(), batchSize, seed);
    }

    public Iterable<B> inOrder(int batchSize, long seed) {
        return batches(IntStream.range(0, size()).toArray(), batchSize, seed);
    }

    private Iterable<B> batches(int[] order, int batchSize, long seed) {
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive: " + batchSize);
        return () -> new Iterator<>() {
            final SplittableRandom root = new SplittableRandom(seed);
            int next = 0;

            @Override
            public boolean hasNext() {
                return next < order.length;
            }

            @Override
            public B next() {
                if (!hasNext()) throw new java.util.NoSuchElementException();
                int end = Math.min(order.length, next + batchSize);
                int[] idx = java.util.Arrays.copyOfRange(order, next, end);
                next = end;
                return batch(idx, root.split());
            }
        };
    }

    /** (n, s) filled with value. */
    static int[][] filled(int n, int s, int value) {
        int[][] a = new int[n][s];
        if (value != 0) for (int[] row : a) java.util.Arrays.fill(row, value);
        return a;
    }

    /**
     * BERT's input layout: [CLS] a[0..la) [SEP], then b[0..lb) [SEP] when b is not null. The first [SEP] is at
     * index la + 1.
     */
    static int[] bertSequence(WordPieceTokenizer tok, int[] a, int la, int[] b, int lb) {
        int[] seq = new int[la + 2 + (b == null ? 0 : lb + 1)];
        seq[0] = tok.cls;
        System.arraycopy(a, 0, seq, 1, la);
        seq[la + 1] = tok.sep;
        if (b != null) {
            System.arraycopy(b, 0, seq, la + 2, lb);
            seq[seq.length - 1] = tok.sep;
        }
        return seq;
    }

    static int maxLength(List<int[]> seqs) {
        int s = 0;
        for (int[] q : seqs) s = Math.max(s, q.length);
        return s;
    }
}
