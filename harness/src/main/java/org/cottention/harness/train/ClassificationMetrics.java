package org.cottention.harness.train;

/**
 * Accuracy, F1 and Matthews correlation from predicted and true classes, computed over the whole set (corpus-level,
 * as GLUE scores them; the reference code averaged F1 over batches, paper-spec §8.2).
 * F1: binary F1 of class 1 when there are two classes, else the macro average over classes.
 * MCC: the K-class generalisation (Gorodkin 2004), equal to the usual formula for two classes; 0 when undefined.
 */
public record ClassificationMetrics(long count, double accuracy, double f1, double matthews) {

    public static ClassificationMetrics of(int[] predicted, int[] labels, int classes) {
        if (predicted.length != labels.length) throw new IllegalArgumentException("predictions and labels differ in length");
        long[][] confusion = new long[classes][classes];                 // [true][predicted]
        for (int i = 0; i < labels.length; i++) confusion[labels[i]][predicted[i]]++;
        long n = labels.length, correct = 0;
        long[] truth = new long[classes], pred = new long[classes];
        for (int t = 0; t < classes; t++) {
            for (int p = 0; p < classes; p++) {
                truth[t] += confusion[t][p];
                pred[p] += confusion[t][p];
            }
            correct += confusion[t][t];
        }
        double f1;
        if (classes == 2) {
            f1 = f1(confusion[1][1], pred[1], truth[1]);
        } else {
            double sum = 0;
            for (int k = 0; k < classes; k++) sum += f1(confusion[k][k], pred[k], truth[k]);
            f1 = sum / classes;
        }
        double sumPT = 0, sumPP = 0, sumTT = 0;
        for (int k = 0; k < classes; k++) {
            sumPT += (double) pred[k] * truth[k];
            sumPP += (double) pred[k] * pred[k];
            sumTT += (double) truth[k] * truth[k];
        }
        double numerator = (double) correct * n - sumPT;
        double denominator = Math.sqrt((double) n * n - sumPP) * Math.sqrt((double) n * n - sumTT);
        double mcc = denominator == 0 ? 0 : numerator / denominator;
        return new ClassificationMetrics(n, n == 0 ? Double.NaN : (double) correct / n, f1, mcc);
    }

    private static double f1(long tp, long predicted, long actual) {
        return predicted + actual == 0 ? 0 : 2.0 * tp / (predicted + actual);
    }
}
