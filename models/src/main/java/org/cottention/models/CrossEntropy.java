package org.cottention.models;

import org.cottention.api.Nd;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Mean cross-entropy over labelled rows: logits (M, C), labels (M) with {@link #IGNORE} (-100, as PyTorch) for a
 * row that does not count. Returns the mean loss over counted rows, the argmax hits, the argmax of every row, and
 * optionally the gradient of scale * loss with respect to the logits: scale (softmax - onehot) / count on counted
 * rows, 0 elsewhere.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    public static final int IGNORE = -100;

    /**
     * @param loss      mean over counted rows (0 when none)
     * @param count     counted rows
     * @param correct   counted rows whose argmax is the label
     * @param predicted argmax of every row (M)
     * @param gradient  d(scale * loss)/d logits (M, C), or null when not asked for
     */
    public record Result(double loss, long count, long correct, int[] predicted, INDArray gradient) {}

    public static Result compute(INDArray logits, int[] labels, double scale, boolean wantGradient) {
        long m = logits.size(0), classes = logits.size(1);
        if (labels.length != m) throw new IllegalArgumentException("labels: " + labels.length + " for " + m + " rows");
        INDArray shifted = logits.subColumnVector(logits.max(true, 1));            // (M, C)
        INDArray exp = Transforms.exp(shifted, true);
        INDArray sum = exp.sum(true, 1);                                             // (M, 1)
        double[] logSum = Nd.toDoubles(Transforms.log(sum, true));
        long[] argmax = logits.argMax(1).toLongVector();
        int[] predicted = new int[(int) m];
        long count = 0, correct = 0;
        double total = 0;
        for (int i = 0; i < m; i++) {
            predicted[i] = (int) argmax[i];
            int y = labels[i];
            if (y == IGNORE) continue;
            if (y < 0 || y >= classes) throw new IllegalArgumentException("label " + y + " outside [0, " + classes + ")");
            total += logSum[i] - shifted.getDouble(i, y);
            count++;
            if (argmax[i] == y) correct++;
        }
        INDArray gradient = null;
        if (wantGradient) {
            gradient = exp.diviColumnVector(sum);                                     // softmax
            double[] weight = new double[(int) m];
            for (int i = 0; i < m; i++) {
                if (labels[i] == IGNORE) continue;
                gradient.putScalar(i, labels[i], gradient.getDouble(i, labels[i]) - 1.0);
                weight[i] = scale / count;
            }
            gradient.muliColumnVector(Nd.fromDoubles(weight, logits.dataType(), m, 1));
        }
        return new Result(count == 0 ? 0.0 : total / count, count, correct, predicted, gradient);
    }
}
