package org.cottention.harness.train;

import java.util.List;
import org.cottention.models.CrossEntropy;
import org.cottention.models.MlmBatch;

/**
 * The token-frequency baseline of masked-LM: p(token) from the counts in the training split with add-one smoothing
 * over the vocabulary, whatever the context. A masked-LM has learned something about language only once its
 * held-out loss is below this model's cross-entropy on the same masked positions; and it has learned to use the
 * context only once it is below {@link #evaluateContextFree}: the same frequencies plus BERT's masking rule applied
 * to the target's own input (an unmasked input is the answer with high probability), which a model learns without
 * looking at any other position.
 */
public final class Unigram {
    private final double[] logProb;
    private final int mostFrequent;

    private Unigram(double[] logProb, int mostFrequent) {
        this.logProb = logProb;
        this.mostFrequent = mostFrequent;
    }

    /** Frequencies of ids 0..vocab-1 in the training tokens, add-one smoothed. */
    public static Unigram fit(int[] trainTokens, int vocab) {
        long[] counts = new long[vocab];
        for (int t : trainTokens) {
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token " + t + " outside the vocabulary of " + vocab);
            counts[t]++;
        }
        double total = trainTokens.length + (double) vocab;
        double[] logProb = new double[vocab];
        int best = 0;
        for (int i = 0; i < vocab; i++) {
            logProb[i] = Math.log((counts[i] + 1) / total);
            if (counts[i] > counts[best]) best = i;
        }
        return new Unigram(logProb, best);
    }

    public double logProb(int id) {
        return logProb[id];
    }

    /**
     * {mean cross-entropy in nats, accuracy, targets} of the best prediction from the target's own input alone:
     * with BERT's rule (a target's input is [MASK] with probability toMask, a token drawn uniformly from the first
     * randomVocab ids with probability toRandom, else the true token), Bayes gives for an input x that is not
     * [MASK]: p(t | x) = p(t) (keep [t = x] + toRandom / randomVocab) / (p(x) keep + toRandom / randomVocab), with
     * keep = 1 - toMask - toRandom; for [MASK], p(t). What a model reaches that uses no other position.
     */
    public double[] evaluateContextFree(List<MlmBatch> batches, int maskId, int randomVocab, double toMask, double toRandom) {
        double keep = 1 - toMask - toRandom, r = toRandom / randomVocab;
        double sum = 0;
        long n = 0, correct = 0;
        for (MlmBatch b : batches) {
            for (int i = 0; i < b.batch(); i++) {
                for (int j = 0; j < b.length(); j++) {
                    int label = b.labels()[i][j], x = b.ids()[i][j];
                    if (label == CrossEntropy.IGNORE) continue;
                    n++;
                    if (x == maskId || x >= logProb.length) {
                        sum -= logProb[label];
                        if (label == mostFrequent) correct++;
                        continue;
                    }
                    double px = Math.exp(logProb[x]), z = px * keep + r;
                    double pt = label == x ? px * (keep + r) / z : Math.exp(logProb[label]) * r / z;
                    sum -= Math.log(pt);
                    // the most probable answer: x when p(x)(keep + r) >= p(mostFrequent) r, else the most frequent
                    int guess = px * (keep + r) >= Math.exp(logProb[mostFrequent]) * r ? x : mostFrequent;
                    if (guess == label) correct++;
                }
            }
        }
        return new double[] {n == 0 ? Double.NaN : sum / n, n == 0 ? Double.NaN : (double) correct / n, n};
    }

    /**
     * {mean cross-entropy in nats, accuracy of always predicting the most frequent token, targets} over the
     * labelled positions of the batches: the figures a masked-LM's held-out loss and accuracy compare with.
     */
    public double[] evaluate(List<MlmBatch> batches) {
        double sum = 0;
        long n = 0, correct = 0;
        for (MlmBatch b : batches) {
            for (int[] row : b.labels()) {
                for (int label : row) {
                    if (label == CrossEntropy.IGNORE) continue;
                    sum -= logProb[label];
                    n++;
                    if (label == mostFrequent) correct++;
                }
            }
        }
        return new double[] {n == 0 ? Double.NaN : sum / n, n == 0 ? Double.NaN : (double) correct / n, n};
    }
}
