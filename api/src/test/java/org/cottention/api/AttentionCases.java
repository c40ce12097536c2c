package org.cottention.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.cottention.reference.RandomTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What every attention module's op tests share (published in this module's test-jar): the shape list, the
 * random inputs of one call in the reference's double arrays and as ND4J arrays, and the error measure.
 */
public final class AttentionCases {
    private AttentionCases() {}

    /** N, H, s, dk, dv, chunk (for chunked forms), mask kind ("right", "arbitrary", "none"). */
    public record Shape(int n, int h, int s, int dk, int dv, int chunk, String mask) {
        @Override
        public String toString() {
            return "N=" + n + " H=" + h + " s=" + s + " dk=" + dk + " dv=" + dv + " C=" + chunk + " mask=" + mask;
        }
    }

    /**
     * Odd head sizes (60, 7, 3), s = 1, lengths that are not a multiple of the chunk, chunk 1 and chunk > s,
     * dk != dv, right padding and arbitrary masks.
     */
    public static final List<Shape> SHAPES = List.of(
            new Shape(2, 3, 37, 60, 60, 16, "right"),
            new Shape(1, 2, 1, 8, 8, 4, "none"),
            new Shape(3, 2, 50, 7, 5, 8, "right"),
            new Shape(2, 1, 64, 16, 16, 64, "none"),
            new Shape(2, 2, 23, 4, 6, 1, "arbitrary"),
            new Shape(1, 1, 5, 64, 64, 64, "right"),
            new Shape(2, 2, 70, 3, 3, 32, "right"));

    /** One call: q, k, v, the loss gradient g = dL/dO, the mask and m, as the reference takes them. */
    public record Case(Shape shape, RandomTensors.AttentionCase x) {
        /** Drawn from a generator seeded by the shape and the mode, so every form sees the same tensors. */
        public static Case of(Shape sh, boolean causal) {
            Random rng = new Random(1000L * sh.s() + 10L * sh.dk() + sh.n() + (causal ? 7 : 0));
            return new Case(sh, RandomTensors.attentionCase(rng, sh.n(), sh.h(), sh.s(), sh.dk(), sh.dv(), sh.mask()));
        }

        public double[][][][] q() { return x.q(); }
        public double[][][][] k() { return x.k(); }
        public double[][][][] v() { return x.v(); }
        public double[][][][] g() { return x.g(); }
        public double[][] mask() { return x.mask(); }
        public double[] m() { return x.m(); }

        /** Positions [from, to) of q, k, v, the mask, and m, in the given dtype. */
        public AttentionInput input(DataType dt, int from, int to) {
            var t = NDArrayIndex.interval(from, to);
            var all = NDArrayIndex.all();
            return new AttentionInput(Nd.fromArray4(q(), dt).get(all, all, t, all).dup('c'),
                    Nd.fromArray4(k(), dt).get(all, all, t, all).dup('c'),
                    Nd.fromArray4(v(), dt).get(all, all, t, all).dup('c'),
                    mask() == null ? null : Nd.fromArray2(mask(), dt).get(all, t).dup('c'),
                    Nd.fromDoubles(m(), dt, shape.h()));
        }

        public AttentionInput input(DataType dt) {
            return input(dt, 0, shape.s());
        }

        /** Positions [from, to) of g. */
        public INDArray gradient(DataType dt, int from, int to) {
            var all = NDArrayIndex.all();
            return Nd.fromArray4(g(), dt).get(all, all, NDArrayIndex.interval(from, to), all).dup('c');
        }

        /** g with zeros before position from (the loss ignores those outputs). */
        public double[][][][] gradientFrom(int from) {
            if (from == 0) return g();
            double[][][][] out = new double[shape.n()][shape.h()][shape.s()][shape.dv()];
            for (int b = 0; b < shape.n(); b++) for (int h = 0; h < shape.h(); h++)
                for (int t = from; t < shape.s(); t++) out[b][h][t] = g()[b][h][t].clone();
            return out;
        }
    }

    /** Positions [from, s) of a reference tensor (N, H, s, d). */
    public static double[][][][] slice(double[][][][] x, int from) {
        if (from == 0) return x;
        double[][][][] out = new double[x.length][x[0].length][][];
        for (int b = 0; b < x.length; b++) for (int h = 0; h < x[0].length; h++) {
            out[b][h] = Arrays.copyOfRange(x[b][h], from, x[b][h].length);
        }
        return out;
    }

    /** ||actual - expected|| / ||expected|| < tol, the shapes equal. */
    public static void assertClose(String what, double[][][][] expected, INDArray actual, double tol) {
        assertArrayEquals(new long[] {expected.length, expected[0].length, expected[0][0].length,
            expected[0][0][0].length}, actual.shape(), what + " shape");
        double err = RandomTensors.relativeError(Nd.toArray4(actual), expected);
        assertTrue(err < tol, what + " relative error " + err + " >= " + tol);
    }

    /** The same for two ND4J arrays of any rank. */
    public static void assertClose(String what, INDArray expected, INDArray actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double err = RandomTensors.relativeError(Nd.toDoubles(actual), Nd.toDoubles(expected));
        assertTrue(err < tol, what + " relative error " + err + " >= " + tol);
    }
}
