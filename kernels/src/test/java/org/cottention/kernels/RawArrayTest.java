package org.cottention.kernels;

import org.cottention.api.Nd;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Element, row, copy, zero and GEMM access at offsets, in both dtypes, against ND4J's own view of the data. */
class RawArrayTest {

    @Test
    void readsWritesCopiesAndZeroesAtOffsets() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray x = Nd4j.arange(24).castTo(dt).reshape(2, 3, 4);
            RawArray r = RawArray.of(x);
            assertEquals(13, r.get(13));
            double[] row = new double[6];
            r.read(5, row, 1, 4);
            assertArrayEquals(new double[] {0, 5, 6, 7, 8, 0}, row);
            r.write(20, new double[] {-1, -2}, 0, 2);
            assertEquals(-2, x.getDouble(1, 2, 1));
            r.zero(2, 3);
            assertArrayEquals(new double[] {0, 1, 0, 0, 0, 5}, java.util.Arrays.copyOf(Nd.toDoubles(x), 6));
            INDArray y = Nd4j.create(dt, 24);
            RawArray.copy(r, 10, RawArray.of(y), 3, 5);
            assertArrayEquals(new double[] {0, 0, 0, 10, 11, 12, 13, 14, 0}, java.util.Arrays.copyOf(Nd.toDoubles(y), 9));
            // A view with an offset: row 1 of a (3, 8) array.
            INDArray m = Nd4j.arange(24).castTo(dt).reshape(3, 8);
            INDArray view = m.get(NDArrayIndex.point(1), NDArrayIndex.all());
            assertTrue(RawArray.isContiguous(view));
            assertEquals(9, RawArray.of(view).get(1));
            assertFalse(RawArray.isContiguous(m.transpose()));
            assertThrows(IllegalArgumentException.class, () -> RawArray.of(m.transpose()));
        }
    }

    @Test
    void gemmOnBlocksMatchesNd4j() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            Nd4j.getRandom().setSeed(3);
            INDArray a = Nd4j.rand(dt, 2, 5, 3), b = Nd4j.rand(dt, 2, 4, 3), c = Nd4j.rand(dt, 2, 5, 4);
            INDArray expected = c.get(NDArrayIndex.point(1)).mul(0.5)
                    .add(a.get(NDArrayIndex.point(1)).mmul(b.get(NDArrayIndex.point(1)).transpose()).mul(2));
            RawArray.gemm(2, RawArray.of(a).matrix(15, 5, 3), RawArray.of(b).matrix(12, 4, 3).t(), 0.5, RawArray.of(c).matrix(20, 5, 4));
            assertTrue(expected.equalsWithEps(c.get(NDArrayIndex.point(1)), 1e-5), dt.toString());
        }
    }

    /**
     * Arrays beyond 2 GiB are seen through several NIO buffers (a default-profile softmax at s = 8192 holds 4 GiB of
     * probabilities). With segments of 8 elements every access below crosses boundaries and must read and write
     * exactly what one whole-array buffer does.
     */
    @Test
    void segmentedAccessMatchesWholeArrayAccess() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            Nd4j.getRandom().setSeed(5);
            INDArray x1 = Nd4j.rand(dt, 7, 5), x2 = x1.dup(), y1 = Nd4j.rand(dt, 7, 5), y2 = y1.dup();
            RawArray whole = RawArray.of(x1), seg = RawArray.of(x2, 3), wy = RawArray.of(y1), sy = RawArray.of(y2, 3);
            for (long i = 0; i < 35; i++) assertEquals(whole.get(i), seg.get(i));
            double[] a = new double[35], b = new double[35];
            whole.read(3, a, 0, 29);
            seg.read(3, b, 0, 29);
            assertArrayEquals(a, b);
            double[] dotsA = new double[4], dotsB = new double[4];
            whole.rowDots(wy, 1, 4, 5, dotsA);
            seg.rowDots(sy, 1, 4, 5, dotsB);
            assertArrayEquals(dotsA, dotsB);
            double[] f = {2, -1, 0.5, 3}, g = {1, 1, -2, 0.25};
            whole.scaleRows(whole, 2, 4, 5, f);
            seg.scaleRows(seg, 2, 4, 5, f);
            whole.combineRows(wy, 0, 4, 5, f, g);
            seg.combineRows(sy, 0, 4, 5, f, g);
            whole.write(6, new double[] {9, 8, 7, 6, 5}, 0, 5);
            seg.write(6, new double[] {9, 8, 7, 6, 5}, 0, 5);
            whole.zero(13, 6);
            seg.zero(13, 6);
            whole.set(33, 4);
            seg.set(33, 4);
            assertArrayEquals(Nd.toDoubles(x1), Nd.toDoubles(x2), dt.toString());
        }
    }

    /**
     * The softmax row operations against a direct float64 evaluation: causal limits, masked keys, a row with no
     * allowed key, row widths that are not a multiple of the vector length, dropout's keep-mask in the backward.
     */
    @Test
    void softmaxRowsMatchTheDefinitionInBothDtypes() {
        java.util.Random rng = new java.util.Random(8);
        for (int keys : new int[] {1, 5, 17, 40}) {
            int rows = 6;
            double[] x = new double[rows * keys], dp = new double[rows * keys], keep = new double[rows * keys];
            for (int i = 0; i < x.length; i++) {
                x[i] = 4 * rng.nextGaussian();
                dp[i] = rng.nextGaussian();
                keep[i] = rng.nextDouble() < 0.8 ? 1.25 : 0;
            }
            double[] mask = new double[keys];
            for (int j = 0; j < keys; j++) mask[j] = j % 3 == 2 ? 0 : 1;
            int[] limits = new int[rows];
            for (int i = 0; i < rows; i++) limits[i] = Math.min(keys, i);         // row 0: no key at all
            double[] expected = new double[x.length], ds = new double[x.length];
            for (int i = 0; i < rows; i++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < limits[i]; j++) if (mask[j] != 0) max = Math.max(max, x[i * keys + j]);
                for (int j = 0; j < limits[i]; j++) if (mask[j] != 0) sum += Math.exp(x[i * keys + j] - max);
                for (int j = 0; j < limits[i]; j++) {
                    if (mask[j] != 0) expected[i * keys + j] = Math.exp(x[i * keys + j] - max) / sum;
                }
                double dot = 0;
                for (int j = 0; j < keys; j++) dot += expected[i * keys + j] * dp[i * keys + j] * keep[i * keys + j];
                for (int j = 0; j < keys; j++) {
                    ds[i * keys + j] = expected[i * keys + j] * (dp[i * keys + j] * keep[i * keys + j] - dot) * 0.5;
                }
            }
            for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                double tol = dt == DataType.FLOAT ? 2e-6 : 1e-14;
                INDArray p = Nd.fromDoubles(x, dt, rows, keys), d = Nd.fromDoubles(dp, dt, rows, keys);
                INDArray k = Nd.fromDoubles(keep, dt, rows, keys);
                RawArray.of(p).softmaxRows(0, rows, keys, limits, mask);
                double[] got = Nd.toDoubles(p);
                for (int i = 0; i < got.length; i++) assertEquals(expected[i], got[i], tol, dt + " keys " + keys + " at " + i);
                RawArray.of(d).softmaxBackwardRows(RawArray.of(p), RawArray.of(k), 0, rows, keys, 0.5);
                double[] gotDs = Nd.toDoubles(d);
                for (int i = 0; i < gotDs.length; i++) assertEquals(ds[i], gotDs[i], tol * 10, dt + " dS keys " + keys + " at " + i);
            }
        }
    }
}
