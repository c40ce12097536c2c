package org.cottention.harness.data.batch;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.cottention.harness.data.tokenize.WordPieceTokenizer;
import org.cottention.models.Pass;

/**
 * A list of prepared (tokenized) examples that makes batches, padded to the longest example of each batch; the
 * training side of the pipeline is {@link #sampled}, a {@link BatchSource} like every other source.
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

    /**
     * Batch i draws batchSize examples with replacement (as the reference trainers sample) from a generator
     * seeded by (seed, i): the same for both attentions, and the same after a resume.
     */
    public BatchSource<B> sampled(int batchSize, long seed) {
        int n = size();
        if (n == 0) throw new IllegalStateException("no training examples");
        return index -> {
            SplittableRandom rng = new SplittableRandom(Pass.seedFor(seed, index));
            int[] idx = new int[batchSize];
            for (int i = 0; i < batchSize; i++) idx[i] = rng.nextInt(n);
            return batch(idx, rng);
        };
    }

    /** The first `limit` batches of the held-out examples in order (evaluation: the same for every run). */
    public List<B> heldOut(int batchSize, int limit, long seed) {
        List<B> out = new ArrayList<>();
        for (B b : inOrder(batchSize, seed)) {
            if (out.size() == limit) break;
            out.add(b);
        }
        return out;
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
