package org.cottention.models;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** BERT's pooler: the hidden state of the first token ([CLS]) of each sequence -> tanh(dense(.)), (N, E). */
final class BertPooler {
    private final Linear dense;
    private final Activation tanh = new Activation(Activation.Kind.TANH);
    private int[] firstRows;
    private long rows, width;

    BertPooler(Parameters p, ModelConfig c) {
        dense = new Linear(p, "bert.pooler.dense", c.hidden(), c.hidden(), Init.normal(c.initRange()), Init.zeros());
    }

    /** h (N*s, E) -> (N, E). */
    INDArray forward(INDArray h, long n, long s) {
        rows = h.size(0);
        width = h.size(1);
        firstRows = new int[(int) n];
        for (int i = 0; i < n; i++) firstRows[i] = (int) (i * s);
        return tanh.forward(dense.forward(Rows.gather(h, firstRows)));
    }

    /** dpooled (N, E) -> dh (N*s, E), zero except the first row of each sequence. */
    INDArray backward(INDArray dpooled) {
        INDArray dh = Nd4j.create(dpooled.dataType(), rows, width);
        Rows.scatterAdd(dh, firstRows, dense.backward(tanh.backward(dpooled)));
        return dh;
    }
}
