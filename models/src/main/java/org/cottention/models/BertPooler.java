package org.cottention.models;

import org.cottention.api.Nd;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BERT's pooler, tanh(dense(x)) -> (N, E), on x = the hidden state of the first token ([CLS]) of each sequence
 * (HF BertPooler), or on x = the mean of the hidden states of each sequence's real tokens
 * ({@link BertClassifier.Pooling#MEAN}).
 */
final class BertPooler {
    private final Linear dense;
    private final Activation tanh = new Activation(Activation.Kind.TANH);
    private int[] firstRows;
    private INDArray means;               // (N, N*s) the averaging matrix of MEAN pooling, null for CLS
    private long rows, width;

    BertPooler(Parameters p, ModelConfig c) {
        dense = new Linear(p, "bert.pooler.dense", c.hidden(), c.hidden(), Init.normal(c.initRange()), Init.zeros());
    }

    /** h (N*s, E) -> (N, E), from [CLS]. */
    INDArray forward(INDArray h, long n, long s) {
        return forward(h, n, s, null, BertClassifier.Pooling.CLS);
    }

    /** h (N*s, E), mask (N, s) 1 = real token or null (all real) -> (N, E). */
    INDArray forward(INDArray h, long n, long s, float[][] mask, BertClassifier.Pooling pooling) {
        rows = h.size(0);
        width = h.size(1);
        if (pooling == BertClassifier.Pooling.MEAN) {
            means = averaging(mask, n, s, h);
            firstRows = null;
            return tanh.forward(dense.forward(means.mmul(h)));
        }
        means = null;
        firstRows = new int[(int) n];
        for (int i = 0; i < n; i++) firstRows[i] = (int) (i * s);
        return tanh.forward(dense.forward(Rows.gather(h, firstRows)));
    }

    /** dpooled (N, E) -> dh (N*s, E): zero except the first row of each sequence (CLS), or spread over its real rows. */
    INDArray backward(INDArray dpooled) {
        INDArray dx = dense.backward(tanh.backward(dpooled));        // (N, E)
        if (means != null) return means.transpose().mmul(dx);       // (N*s, N) x (N, E)
        INDArray dh = Nd4j.create(dpooled.dataType(), rows, width);
        Rows.scatterAdd(dh, firstRows, dx);
        return dh;
    }

    /** (N, N*s): row i holds mask[i, t] / (real tokens of i) at column i*s + t, 0 elsewhere. */
    private static INDArray averaging(float[][] mask, long n, long s, INDArray like) {
        double[] w = new double[Math.toIntExact(n * n * s)];
        for (int i = 0; i < n; i++) {
            double real = 0;
            for (int t = 0; t < s; t++) real += mask == null ? 1 : mask[i][t];
            for (int t = 0; t < s; t++) w[(int) (i * n * s + i * s + t)] = (mask == null ? 1 : mask[i][t]) / Math.max(1, real);
        }
        return Nd.fromDoubles(w, like.dataType(), n, n * s);
    }
}
