package org.cottention.harness.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The no-attention baseline of the fine-tuning tasks: a binary bag-of-words logistic regression. A text becomes its
 * words (lower-cased runs of letters, digits and apostrophes), a word of the vocabulary (words seen at least twice
 * in the training texts) becomes the feature log(1 + its count), and the vector is scaled to unit length; the model
 * is sigma(w . x + b) with an L2 penalty lambda/2 |w|^2 on w, trained by plain SGD (Bottou 2012, "Stochastic
 * Gradient Descent Tricks": rate eta0 / (1 + eta0 lambda t), the penalty applied through a scale factor of w so a
 * step costs only the text's words). lambda is chosen from {@link #LAMBDAS} by accuracy on the last tenth of the
 * training texts (a model fit on the other nine tenths); the returned model is refit on all of them.
 */
public final class BagOfWords {
    public static final double[] LAMBDAS = {1e-6, 1e-5, 1e-4, 1e-3};
    static final int EPOCHS = 10;
    static final double ETA0 = 1.0;

    private final Map<String, Integer> vocabulary;
    private final double[] w;
    private final double bias, lambda;

    private BagOfWords(Map<String, Integer> vocabulary, double[] w, double bias, double lambda) {
        this.vocabulary = vocabulary;
        this.w = w;
        this.bias = bias;
        this.lambda = lambda;
    }

    /** Lower-cased runs of letters, digits and apostrophes. */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        String lower = text.toLowerCase(Locale.ROOT);
        for (int i = 0; i < lower.length(); ) {
            int c = lower.codePointAt(i);
            i += Character.charCount(c);
            if (Character.isLetterOrDigit(c) || c == '\'') {
                word.appendCodePoint(c);
            } else if (word.length() > 0) {
                out.add(word.toString());
                word.setLength(0);
            }
        }
        if (word.length() > 0) out.add(word.toString());
        return out;
    }

    /** Fits the model on texts with labels 0/1: lambda chosen on a held-out tenth, then refit on all (seeded order). */
    public static BagOfWords train(List<String> texts, int[] labels, long seed) {
        if (texts.size() != labels.length) throw new IllegalArgumentException("texts and labels differ in number");
        if (texts.size() < 10) throw new IllegalArgumentException("a bag-of-words fit needs at least 10 texts, got " + texts.size());
        for (int y : labels) if (y != 0 && y != 1) throw new IllegalArgumentException("labels must be 0 or 1, got " + y);
        int cut = texts.size() - texts.size() / 10;
        double best = LAMBDAS[0], bestAccuracy = -1;
        for (double lambda : LAMBDAS) {
            BagOfWords m = fit(texts.subList(0, cut), Arrays.copyOfRange(labels, 0, cut), lambda, seed);
            double a = m.accuracy(texts.subList(cut, texts.size()), Arrays.copyOfRange(labels, cut, labels.length));
            if (a > bestAccuracy) {
                bestAccuracy = a;
                best = lambda;
            }
        }
        return fit(texts, labels, best, seed);
    }

    /** One fit at a given lambda. */
    static BagOfWords fit(List<String> texts, int[] labels, double lambda, long seed) {
        Map<String, Integer> counts = new HashMap<>();
        List<List<String>> tokenized = new ArrayList<>(texts.size());
        for (String t : texts) {
            List<String> ws = words(t);
            tokenized.add(ws);
            for (String x : ws) counts.merge(x, 1, Integer::sum);
        }
        Map<String, Integer> vocabulary = new HashMap<>();
        counts.keySet().stream().filter(x -> counts.get(x) >= 2).sorted().forEach(x -> vocabulary.put(x, vocabulary.size()));
        Sparse[] xs = new Sparse[texts.size()];
        for (int i = 0; i < xs.length; i++) xs[i] = features(tokenized.get(i), vocabulary);
        double[] v = new double[vocabulary.size()];
        double scale = 1, b = 0;
        long t = 0;
        int[] order = new int[xs.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Random rng = new Random(seed);
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1), k = order[i];
                order[i] = order[j];
                order[j] = k;
            }
            for (int i : order) {
                double eta = ETA0 / (1 + ETA0 * lambda * t++);
                Sparse x = xs[i];
                double z = b;
                for (int k = 0; k < x.index.length; k++) z += scale * v[x.index[k]] * x.value[k];
                double g = sigmoid(z) - labels[i];
                scale *= 1 - eta * lambda;
                for (int k = 0; k < x.index.length; k++) v[x.index[k]] -= eta * g * x.value[k] / scale;
                b -= eta * g;
                if (scale < 1e-9) {                     // fold the scale back into the weights before it underflows
                    for (int k = 0; k < v.length; k++) v[k] *= scale;
                    scale = 1;
                }
            }
        }
        for (int k = 0; k < v.length; k++) v[k] *= scale;
        return new BagOfWords(vocabulary, v, b, lambda);
    }

    private record Sparse(int[] index, double[] value) {}

    private static Sparse features(List<String> words, Map<String, Integer> vocabulary) {
        Map<Integer, Integer> counts = new java.util.TreeMap<>();
        for (String x : words) {
            Integer id = vocabulary.get(x);
            if (id != null) counts.merge(id, 1, Integer::sum);
        }
        int[] index = new int[counts.size()];
        double[] value = new double[counts.size()];
        double norm = 0;
        int k = 0;
        for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
            index[k] = e.getKey();
            value[k] = Math.log1p(e.getValue());
            norm += value[k] * value[k];
            k++;
        }
        norm = Math.sqrt(norm);
        if (norm > 0) for (int i = 0; i < value.length; i++) value[i] /= norm;
        return new Sparse(index, value);
    }

    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    /** P(label 1 | text). */
    public double probability(String text) {
        Sparse x = features(words(text), vocabulary);
        double z = bias;
        for (int k = 0; k < x.index.length; k++) z += w[x.index[k]] * x.value[k];
        return sigmoid(z);
    }

    public int predict(String text) {
        return probability(text) >= 0.5 ? 1 : 0;
    }

    public int[] predict(List<String> texts) {
        return texts.stream().mapToInt(this::predict).toArray();
    }

    double accuracy(List<String> texts, int[] labels) {
        int[] p = predict(texts);
        int correct = 0;
        for (int i = 0; i < p.length; i++) if (p[i] == labels[i]) correct++;
        return (double) correct / p.length;
    }

    /** The chosen L2 strength. */
    public double lambda() {
        return lambda;
    }

    /** Words in the vocabulary (features). */
    public int vocabularySize() {
        return vocabulary.size();
    }
}
