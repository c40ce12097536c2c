package org.cottention.models;

import org.nd4j.linalg.api.ndarray.INDArray;

/** A lookup table (V, E): ids (M) -> rows (M, E); the backward adds each row's gradient to its id's row. */
public final class Embedding {
    private final Parameter table;
    private int[] ids;

    public Embedding(Parameters p, String name, long count, long width, Init init) {
        this.table = p.add(name + ".weight", init, true, count, width);
    }

    public Parameter table() {
        return table;
    }

    /** ids (M), each in [0, V) -> (M, E). */
    public INDArray forward(int[] ids) {
        long v = table.shape()[0];
        for (int id : ids) {
            if (id < 0 || id >= v) throw new IllegalArgumentException(table.name() + ": id " + id + " outside [0, " + v + ")");
        }
        this.ids = ids;
        return Rows.gather(table.value(), ids);
    }

    /** dy (M, E): table.grad[ids[i]] += dy[i]. */
    public void backward(INDArray dy) {
        Rows.scatterAdd(table.grad(), ids, dy);
    }
}
