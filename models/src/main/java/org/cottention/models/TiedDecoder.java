package org.cottention.models;

import org.cottention.api.Nd;
import org.cottention.kernels.FusedLayers;
import org.cottention.kernels.RawArray;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BERT's MLM decoder: logits = t W_emb^T + b with the word-embedding table W_emb (V, E) shared with the input
 * embedding (its gradient receives both uses) and a bias of its own (V).
 */
public final class TiedDecoder {
    private final Parameter table, bias;
    private INDArray t;

    public TiedDecoder(Parameters p, String name, Parameter table) {
        this.table = table;
        this.bias = p.add(name + ".bias", Init.zeros(), false, table.shape()[0]);
    }

    /** t (M, E) -> logits (M, V). */
    public INDArray forward(INDArray t) {
        this.t = t;
        INDArray logits = Nd.mmul(t, false, table.value(), true, Nd4j.create(t.dataType(), t.size(0), table.shape()[0]), 0.0);
        return logits.addiRowVector(bias.value());
    }

    /** dlogits (M, V) -> dt (M, E). */
    public INDArray backward(INDArray dlogits) {
        Nd.mmul(dlogits, true, t, false, table.grad(), 1.0);
        FusedLayers.addColumnSums(RawArray.contiguous(dlogits), bias.grad());
        return Nd.mmul(dlogits, false, table.value(), false, Nd4j.create(t.dataType(), t.size(0), table.shape()[1]), 0.0);
    }
}
