package org.cottention.api;

import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/** ND4J helpers shared by the attention implementations and their tests. */
public final class Nd {
    private Nd() {}

    /**
     * Batched matrix product into {@code out}: out = op(a) op(b) + beta * out, op = transpose when asked.
     * a: (..., m, k) or (..., k, m); b: (..., k, n) or (..., n, k); out: (..., m, n); the leading dims match.
     */
    public static INDArray mmul(INDArray a, boolean transA, INDArray b, boolean transB, INDArray out, double beta) {
        MMulTranspose t = MMulTranspose.builder().transposeA(transA).transposeB(transB).build();
        Nd4j.exec(new Mmul(a, b, out, 1.0, beta, t));
        return out;
    }

    /** (N, H, s, d) -> (N*H, s, d): a view when x is C-contiguous, else a C-ordered copy. */
    public static INDArray flattenHeads(INDArray x) {
        return x.reshape('c', x.size(0) * x.size(1), x.size(2), x.size(3));
    }

    /** Row-wise dot product of two (B, s, d) arrays: (B, s, 1). */
    public static INDArray rowDot(INDArray a, INDArray b) {
        return a.mul(b).sum(true, 2);
    }

    /** A C-ordered array of the given dtype holding the values of a row-major double[]. */
    public static INDArray fromDoubles(double[] values, DataType dataType, long... shape) {
        return Nd4j.create(values, shape, DataType.DOUBLE).castTo(dataType);
    }

    /** (N, H, s, d) array from double[N][H][s][d]. */
    public static INDArray fromArray4(double[][][][] a, DataType dataType) {
        int n = a.length, h = a[0].length, s = a[0][0].length, d = a[0][0][0].length;
        double[] flat = new double[n * h * s * d];
        int i = 0;
        for (double[][][] x : a) for (double[][] y : x) for (double[] z : y) for (double w : z) flat[i++] = w;
        return fromDoubles(flat, dataType, n, h, s, d);
    }

    /** (N, s) array from double[N][s]. */
    public static INDArray fromArray2(double[][] a, DataType dataType) {
        int n = a.length, s = a[0].length;
        double[] flat = new double[n * s];
        for (int b = 0; b < n; b++) System.arraycopy(a[b], 0, flat, b * s, s);
        return fromDoubles(flat, dataType, n, s);
    }

    /** double[N][H][s][d] from an (N, H, s, d) array of any dtype. */
    public static double[][][][] toArray4(INDArray x) {
        if (x.rank() != 4) throw new IllegalArgumentException("expected rank 4, got " + x.rank());
        int n = (int) x.size(0), h = (int) x.size(1), s = (int) x.size(2), d = (int) x.size(3);
        double[] flat = x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[][][][] out = new double[n][h][s][d];
        int i = 0;
        for (double[][][] a : out) for (double[][] b : a) for (double[] c : b) for (int e = 0; e < d; e++) c[e] = flat[i++];
        return out;
    }

    /** The values of any array, row-major, as doubles. */
    public static double[] toDoubles(INDArray x) {
        return x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /** The values of any array, row-major, as float32 (what the CUDA kernels take). */
    public static float[] toFloats(INDArray x) {
        return x.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    /**
     * An inverted-dropout mask of the given shape: 1 / (1 - rate) with probability 1 - rate, else 0. Drawn from
     * ND4J's generator reseeded with {@code seed}, so the same seed gives the same mask (training and its resume
     * depend on that). rate must be in [0, 1).
     */
    public static INDArray dropoutMask(DataType dataType, double rate, long seed, long... shape) {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + rate);
        INDArray mask = Nd4j.createUninitialized(dataType, shape);
        Random rng = Nd4j.getRandom();
        rng.setSeed(seed);
        Nd4j.getExecutioner().exec(new BernoulliDistribution(mask, 1.0 - rate), rng);
        return mask.muli(1.0 / (1.0 - rate));
    }
}
