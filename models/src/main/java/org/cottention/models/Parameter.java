package org.cottention.models;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One named parameter tensor: a view into the flat value buffer of its {@link Parameters}, and a view of the same
 * range in the flat gradient buffer. Layers read {@link #value()} and accumulate into {@link #grad()}.
 */
public final class Parameter {
    private final String name;
    private final long[] shape;
    private final Init init;
    private final boolean weight;
    private long offset = -1;
    private INDArray value, grad;

    Parameter(String name, long[] shape, Init init, boolean weight) {
        this.name = name;
        this.shape = shape.clone();
        this.init = init;
        this.weight = weight;
    }

    public String name() {
        return name;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long length() {
        return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }

    /** Where the tensor starts in the flat buffers. */
    public long offset() {
        return offset;
    }

    Init init() {
        return init;
    }

    /** A weight matrix or embedding table (decayed in weights-only mode), as opposed to a bias, LN gain or m. */
    public boolean isWeight() {
        return weight;
    }

    /** The values, shaped; a view into the flat buffer (writes go through). */
    public INDArray value() {
        if (value == null) throw new IllegalStateException(name + ": parameters not allocated yet");
        return value;
    }

    /** The accumulated gradient, shaped like the value; a view into the flat gradient buffer. */
    public INDArray grad() {
        if (grad == null) throw new IllegalStateException(name + ": parameters not allocated yet");
        return grad;
    }

    void bind(long offset, INDArray value, INDArray grad) {
        this.offset = offset;
        this.value = value;
        this.grad = grad;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
