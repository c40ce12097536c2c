package org.cottention.models;

import org.cottention.kernels.FusedLayers;
import org.cottention.kernels.RawArray;
import org.nd4j.linalg.api.ndarray.INDArray;

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
        long count = 0;
        for (int y : labels) {
            if (y == IGNORE) continue;
            if (y < 0 || y >= classes) throw new IllegalArgumentException("label " + y + " outside [0, " + classes + ")");
            count++;
        }
        INDArray z = RawArray.contiguous(logits);
        INDArray gradient = wantGradient ? z.ulike() : null;
        int[] predicted = new int[(int) m];
        double total = FusedLayers.softmaxCrossEntropy(z, labels, count == 0 ? 0 : scale / count, gradient, predicted);
        long correct = 0;
        for (int i = 0; i < m; i++) if (labels[i] != IGNORE && predicted[i] == labels[i]) correct++;
        return new Result(count == 0 ? 0.0 : total / count, count, correct, predicted, gradient);
    }
}
