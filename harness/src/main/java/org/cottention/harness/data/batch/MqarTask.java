package org.cottention.harness.data.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.cottention.models.CrossEntropy;
import org.cottention.models.LmBatch;
import org.cottention.models.Pass;

/**
 * Multi-query associative recall (MQAR), as Zoology defines it (Arora et al. 2023; HazyResearch/zoology,
 * {@code zoology/data/multiquery_ar.py}, with its default {@code random_non_queries=True}). A sequence of length L
 * opens with N key-value pairs {@code k1 v1 ... kN vN}: N distinct keys from the first half of the vocabulary
 * [1, V/2) and N distinct values from the second half [V/2, V). The rest, positions [2N, L), is (L - 2N) / 2 slots
 * of two tokens; every key is queried once, in a slot drawn from a power law, p(gap g) proportional to
 * (g + 1)^(a - 1) for g in [0, (L - 2N) / 2) (a = 0.01 favours slots close to the pairs), the N slots drawn without
 * replacement (successively, each from the renormalised rest). Slot g starts at position 2N + 2g and holds the key
 * there; its label is the key's value (the token to predict after the query); every other position is random filler,
 * uniform over the whole vocabulary, and labelled {@link CrossEntropy#IGNORE}. Zoology's constraints: 4N <= L
 * (room for N slots) and V > L; L even.
 *
 * <p>Batch i is a deterministic function of (seed, i), like every {@link BatchSource}: a held-out set is the first
 * batches of a task with a seed of its own ({@link #first}).
 */
public final class MqarTask implements BatchSource<LmBatch> {
    /** Zoology's power-law exponent for the query gaps (train_power_a = test_power_a = 0.01). */
    public static final double POWER_A = 0.01;

    private final int batch, length, pairs, vocab;
    private final double[] gapWeights;
    private final long seed;

    public MqarTask(int batch, int length, int pairs, int vocab, double powerA, long seed) {
        check(length, pairs, vocab);
        if (batch < 1) throw new IllegalArgumentException("MQAR: batch must be >= 1, got " + batch);
        if (!(powerA > 0 && powerA <= 1)) throw new IllegalArgumentException("MQAR: power a must be in (0, 1], got " + powerA);
        this.batch = batch;
        this.length = length;
        this.pairs = pairs;
        this.vocab = vocab;
        this.gapWeights = gapWeights((length - 2 * pairs) / 2, powerA);
        this.seed = seed;
    }

    /** Zoology's constraints on (L, N, V), as one error naming all three. */
    public static void check(int length, int pairs, int vocab) {
        if (pairs < 1 || length % 2 != 0 || 4L * pairs > length || vocab <= length) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "MQAR needs N >= 1 key-value pairs, an even "
                    + "length L with 4 N <= L and a vocabulary V > L; got N = %d, L = %d, V = %d", pairs, length, vocab));
        }
    }

    /** The unnormalised gap weights (g + 1)^(a - 1), g in [0, space). */
    static double[] gapWeights(int space, double powerA) {
        double[] w = new double[space];
        for (int g = 0; g < space; g++) w[g] = Math.pow(g + 1, powerA - 1);
        return w;
    }

    /** p(gap g) of one query: the normalised power law over the (L - 2N) / 2 slots. */
    public double[] gapProbabilities() {
        double total = 0;
        for (double w : gapWeights) total += w;
        double[] p = new double[gapWeights.length];
        for (int g = 0; g < p.length; g++) p[g] = gapWeights[g] / total;
        return p;
    }

    public int length() {
        return length;
    }

    public int pairs() {
        return pairs;
    }

    public int vocab() {
        return vocab;
    }

    @Override
    public LmBatch batch(long index) {
        SplittableRandom rng = new SplittableRandom(Pass.seedFor(seed, index));
        int[][] ids = new int[batch][], labels = new int[batch][];
        for (int i = 0; i < batch; i++) {
            ids[i] = new int[length];
            labels[i] = new int[length];
            example(rng, ids[i], labels[i]);
        }
        return new LmBatch(ids, null, labels);
    }

    /** Batches 0 .. count - 1: a fixed set (validation or test) when the task has a seed of its own. */
    public List<LmBatch> first(int count) {
        List<LmBatch> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(batch(i));
        return out;
    }

    private void example(SplittableRandom rng, int[] ids, int[] labels) {
        int half = vocab / 2;
        int[] keys = distinct(rng, 1, half, pairs), values = distinct(rng, half, vocab, pairs);
        for (int t = 0; t < length; t++) {
            ids[t] = rng.nextInt(vocab);
            labels[t] = CrossEntropy.IGNORE;
        }
        for (int j = 0; j < pairs; j++) {
            ids[2 * j] = keys[j];
            ids[2 * j + 1] = values[j];
        }
        double[] w = gapWeights.clone();
        for (int j = 0; j < pairs; j++) {
            int g = draw(rng, w);
            w[g] = 0;
            int at = 2 * pairs + 2 * g;
            ids[at] = keys[j];
            labels[at] = values[j];
        }
    }

    /** count distinct integers from [from, to), in random order (a partial Fisher-Yates shuffle). */
    private static int[] distinct(SplittableRandom rng, int from, int to, int count) {
        int[] pool = new int[to - from];
        for (int i = 0; i < pool.length; i++) pool[i] = from + i;
        for (int i = 0; i < count; i++) {
            int j = i + rng.nextInt(pool.length - i);
            int t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
        }
        return java.util.Arrays.copyOf(pool, count);
    }

    /** An index drawn with probability proportional to its weight (weights >= 0, at least one > 0). */
    private static int draw(SplittableRandom rng, double[] w) {
        double total = 0;
        for (double x : w) total += x;
        double u = rng.nextDouble() * total;
        int last = -1;
        for (int g = 0; g < w.length; g++) {
            if (w[g] == 0) continue;
            last = g;
            u -= w[g];
            if (u < 0) return g;
        }
        return last;    // u landed on the rounding error at the very end
    }

    /**
     * Interleaves several tasks into one source: batch i is batch i / k of task i mod k (k tasks), so every task gets
     * every k-th step, as a mixture of Zoology's training segments.
     */
    public static BatchSource<LmBatch> interleaved(List<MqarTask> tasks) {
        if (tasks.isEmpty()) throw new IllegalArgumentException("MQAR: no tasks to interleave");
        List<MqarTask> copy = List.copyOf(tasks);
        int k = copy.size();
        return index -> copy.get((int) Math.floorMod(index, (long) k)).batch(Math.floorDiv(index, (long) k));
    }
}
