package org.cottention.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * All parameters of a model in two flat buffers, values and gradients (P elements each), allocated once outside
 * any workspace; each {@link Parameter} is a view into them. The optimiser, gradient clipping and checkpoints work
 * on the flat buffers in a few whole-buffer operations. Layers register their tensors while the model is built;
 * {@link #allocate} then creates the buffers and initialises every tensor.
 */
public final class Parameters {
    private final DataType dataType;
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private INDArray values, grads, weightMask, allButStabiliser;

    public Parameters(DataType dataType) {
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
            throw new IllegalArgumentException("parameters must be FLOAT or DOUBLE, got " + dataType);
        }
        this.dataType = dataType;
    }

    public DataType dataType() {
        return dataType;
    }

    /** Registers a tensor; weight = true for weight matrices and embeddings (see {@link Parameter#isWeight}). */
    public Parameter add(String name, Init init, boolean weight, long... shape) {
        if (values != null) throw new IllegalStateException("cannot add " + name + " after allocate()");
        if (byName.containsKey(name)) throw new IllegalArgumentException("duplicate parameter name " + name);
        Parameter p = new Parameter(name, shape, init, weight);
        byName.put(name, p);
        return p;
    }

    /**
     * Creates the flat buffers and initialises every tensor from a generator seeded by (seed, name). Must run
     * outside any ND4J workspace.
     */
    public void allocate(long seed) {
        if (values != null) throw new IllegalStateException("already allocated");
        long total = 0;
        for (Parameter p : byName.values()) total += p.length();
        values = Nd4j.create(dataType, total);
        grads = Nd4j.create(dataType, total);
        weightMask = Nd4j.create(dataType, total);
        allButStabiliser = Nd4j.ones(dataType, total);
        long offset = 0;
        for (Parameter p : byName.values()) {
            long len = p.length();
            INDArray v = view(values, offset, p.shape()), g = view(grads, offset, p.shape());
            p.bind(offset, v, g);
            double[] init = p.init().sample(new SplittableRandom(mix(seed, p.name())), Math.toIntExact(len));
            v.assign(Nd4j.create(init, p.shape(), DataType.DOUBLE));
            if (p.isWeight()) view(weightMask, offset, len).assign(1.0);
            if (p.name().endsWith(".m")) view(allButStabiliser, offset, len).assign(0.0);
            offset += len;
        }
    }

    private static INDArray view(INDArray flat, long offset, long... shape) {
        long len = 1;
        for (long d : shape) len *= d;
        return flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(offset, offset + len)).reshape('c', shape);
    }

    /** A seed for one parameter: SplitMix64 of the run seed and the name's hash. */
    static long mix(long seed, String name) {
        long z = seed * 0x9E3779B97F4A7C15L + name.hashCode();
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public List<Parameter> list() {
        return Collections.unmodifiableList(new ArrayList<>(byName.values()));
    }

    public Parameter get(String name) {
        Parameter p = byName.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter " + name);
        return p;
    }

    /** P, the number of scalars. */
    public long count() {
        long total = 0;
        for (Parameter p : byName.values()) total += p.length();
        return total;
    }

    /** The flat values (P). */
    public INDArray values() {
        requireAllocated();
        return values;
    }

    /** The flat gradients (P). */
    public INDArray grads() {
        requireAllocated();
        return grads;
    }

    /** (P) 1 where the scalar belongs to a weight matrix or embedding, else 0. */
    public INDArray weightMask() {
        requireAllocated();
        return weightMask;
    }

    /** (P) 0 where the scalar is a cosine stabiliser m (a parameter named *.m), else 1. */
    public INDArray allButStabiliserMask() {
        requireAllocated();
        return allButStabiliser;
    }

    public void zeroGrads() {
        grads().assign(0.0);
    }

    private void requireAllocated() {
        if (values == null) throw new IllegalStateException("parameters not allocated yet");
    }
}
