package org.cottention.models;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/** Row gathers and scatters on 2-D arrays: the embedding lookup, its gradient, and picking labelled rows. */
final class Rows {
    private Rows() {}

    /** out[i] = table[index[i]]: (len(index), E), C-ordered. */
    static INDArray gather(INDArray table, int[] index) {
        return Nd4j.pullRows(table, 1, index);
    }

    /**
     * target[index[i]] += rows[i] for every i, in place; repeated indices accumulate (libnd4j's scatter_add with
     * its lock argument on).
     */
    static void scatterAdd(INDArray target, int[] index, INDArray rows) {
        Nd4j.exec(DynamicCustomOp.builder("scatter_add")
                .addInputs(target, Nd4j.createFromArray(index), rows)
                .addOutputs(target)
                .addBooleanArguments(true, true)
                .build());
    }
}
