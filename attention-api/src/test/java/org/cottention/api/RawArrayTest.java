package org.cottention.api;

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
            RawArray.gemm(false, true, 5, 4, 3, 2, RawArray.of(a), 15, 3, RawArray.of(b), 12, 3, 0.5, RawArray.of(c), 20, 4);
            assertTrue(expected.equalsWithEps(c.get(NDArrayIndex.point(1)), 1e-5), dt.toString());
        }
    }
}
