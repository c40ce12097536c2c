package org.cottention.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.cottention.api.Nd;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The fused kernels three ways: the float64 path against the formulas written with ND4J ops (the layers'
 * previous implementation) to 1e-14, its backward against central differences of its forward, and the float32
 * vector path against the float64 path (relative error < 1e-6). Sizes cross chunk boundaries and leave vector
 * tails (rows of width 37, 130 and 257).
 */
class FusedLayersTest {
    private final Random rng = new Random(5);

    private INDArray randn(DataType dt, double scale, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = scale * rng.nextGaussian();
        return Nd.fromDoubles(v, dt, shape);
    }

    private static double rel(INDArray a, INDArray b) {
        double[] x = Nd.toDoubles(a), y = Nd.toDoubles(b);
        double num = 0, den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (x[i] - y[i]) * (x[i] - y[i]);
            den += y[i] * y[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-300);
    }

    private static void close(String what, INDArray expected, INDArray actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        double e = rel(actual, expected);
        assertTrue(e < tol, what + ": relative error " + e + " >= " + tol);
    }

    @Test
    void erfIsAccurateToDoublePrecision() {
        // erf values from Python 3.11's math.erf (the C library's erf, correctly rounded here).
        double[][] known = {{0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149},
            {2, 0.9953222650189527}, {2.9, 0.9999589021219005}, {3.1, 0.9999883513426328}, {4, 0.9999999845827421}};
        for (double[] k : known) {
            assertEquals(k[1], Float64Loops.erf(k[0]), 1e-15, "erf(" + k[0] + ")");
            assertEquals(-k[1], Float64Loops.erf(-k[0]), 1e-15, "erf(-" + k[0] + ")");
        }
        assertEquals(0, Float64Loops.erf(0), 0);
    }

    @Test
    void geluTanhMatchesTheNd4jFormulaAndFiniteDifferences() {
        INDArray x = randn(DataType.DOUBLE, 2, 1000, 37);
        INDArray y = x.ulike(), t = x.ulike();
        FusedLayers.geluTanhForward(x, y, t);
        double k = Math.sqrt(2 / Math.PI);
        INDArray tRef = Transforms.tanh(x.mul(x).muli(0.044715).addi(1.0).muli(x).muli(k), false);
        close("t", tRef, t, 1e-14);
        close("y", tRef.add(1.0).muli(0.5).muli(x), y, 1e-14);
        INDArray dy = randn(DataType.DOUBLE, 1, 1000, 37), dx = x.ulike();
        FusedLayers.geluTanhBackward(dy, x, t, dx);
        close("dx vs central differences", numericBackward(x, dy, true), dx, 1e-8);
        checkFloat32(x, dy, true);
    }

    @Test
    void geluErfMatchesTheNd4jFormulaAndFiniteDifferences() {
        INDArray x = randn(DataType.DOUBLE, 2, 1000, 37);
        INDArray y = x.ulike(), e = x.ulike();
        FusedLayers.geluErfForward(x, y, e);
        INDArray eRef = x.mul(1 / Math.sqrt(2));
        Nd4j.exec(new Erf(eRef, eRef));
        close("erf", eRef, e, 1e-13);
        close("y", eRef.add(1.0).muli(0.5).muli(x), y, 1e-13);
        INDArray dy = randn(DataType.DOUBLE, 1, 1000, 37), dx = x.ulike();
        FusedLayers.geluErfBackward(dy, x, e, dx);
        close("dx vs central differences", numericBackward(x, dy, false), dx, 1e-8);
        checkFloat32(x, dy, false);
    }

    /** d<dy, gelu(x)>/dx elementwise by central differences (each element's gelu depends only on it). */
    private static INDArray numericBackward(INDArray x, INDArray dy, boolean tanh) {
        double h = 1e-6;
        INDArray plus = x.add(h), minus = x.sub(h), yp = x.ulike(), ym = x.ulike(), s = x.ulike();
        if (tanh) {
            FusedLayers.geluTanhForward(plus, yp, s);
            FusedLayers.geluTanhForward(minus, ym, s);
        } else {
            FusedLayers.geluErfForward(plus, yp, s);
            FusedLayers.geluErfForward(minus, ym, s);
        }
        return yp.subi(ym).divi(2 * h).muli(dy);
    }

    private static void checkFloat32(INDArray x64, INDArray dy64, boolean tanh) {
        INDArray x = x64.castTo(DataType.FLOAT), dy = dy64.castTo(DataType.FLOAT);
        INDArray y = x.ulike(), t = x.ulike(), dx = x.ulike(), y64 = x64.ulike(), t64 = x64.ulike(), dx64 = x64.ulike();
        if (tanh) {
            FusedLayers.geluTanhForward(x, y, t);
            FusedLayers.geluTanhForward(x64, y64, t64);
            FusedLayers.geluTanhBackward(dy, x, t, dx);
            FusedLayers.geluTanhBackward(dy64, x64, t64, dx64);
        } else {
            FusedLayers.geluErfForward(x, y, t);
            FusedLayers.geluErfForward(x64, y64, t64);
            FusedLayers.geluErfBackward(dy, x, t, dx);
            FusedLayers.geluErfBackward(dy64, x64, t64, dx64);
        }
        close("float32 y", y64, y, 1e-6);
        close("float32 dx", dx64, dx, 1e-6);
    }

    @Test
    void layerNormMatchesTheNd4jFormulaAndFloat32() {
        for (int w : new int[] {37, 130}) {
            INDArray x = randn(DataType.DOUBLE, 3, 777, w).addi(1.5), gamma = randn(DataType.DOUBLE, 1, w).addi(1);
            INDArray beta = randn(DataType.DOUBLE, 1, w), dy = randn(DataType.DOUBLE, 1, 777, w);
            double eps = 1e-5;
            INDArray y = x.ulike(), xhat = x.ulike(), rstd = Nd4j.create(DataType.DOUBLE, 777);
            FusedLayers.layerNormForward(x, gamma.reshape(w), beta.reshape(w), eps, y, xhat, rstd);
            INDArray centered = x.subColumnVector(x.mean(true, 1));
            INDArray rs = Transforms.sqrt(centered.mul(centered).mean(true, 1).addi(eps), false).rdivi(1.0);
            INDArray hRef = centered.mulColumnVector(rs);
            close("xhat", hRef, xhat, 1e-13);
            close("y", hRef.mulRowVector(gamma).addiRowVector(beta), y, 1e-13);

            INDArray dx = x.ulike(), dg = Nd4j.zeros(DataType.DOUBLE, w), db = Nd4j.zeros(DataType.DOUBLE, w);
            FusedLayers.layerNormBackward(dy, xhat, rstd, gamma.reshape(w), dx, dg, db);
            INDArray dh = dy.mulRowVector(gamma);
            INDArray dxRef = dh.subColumnVector(dh.mean(true, 1)).subi(hRef.mulColumnVector(dh.mul(hRef).mean(true, 1)))
                    .muliColumnVector(rs);
            close("dx", dxRef, dx, 1e-12);
            close("dgamma", dy.mul(hRef).sum(0), dg, 1e-12);
            close("dbeta", dy.sum(0), db, 1e-12);

            DataType f = DataType.FLOAT;
            INDArray y32 = x.castTo(f).ulike(), h32 = y32.ulike(), r32 = Nd4j.create(f, 777), dx32 = y32.ulike();
            INDArray dg32 = Nd4j.zeros(f, w), db32 = Nd4j.zeros(f, w);
            FusedLayers.layerNormForward(x.castTo(f), gamma.reshape(w).castTo(f), beta.reshape(w).castTo(f), eps, y32,
                    h32, r32);
            FusedLayers.layerNormBackward(dy.castTo(f), h32, r32, gamma.reshape(w).castTo(f), dx32, dg32, db32);
            close("float32 y", y, y32, 1e-6);
            close("float32 dx", dx, dx32, 1e-6);
            close("float32 dgamma", dg, dg32, 1e-6);
            close("float32 dbeta", db, db32, 1e-6);
        }
    }

    @Test
    void softmaxCrossEntropyMatchesAPlainLoopAndFloat32() {
        int m = 3001, c = 257;
        INDArray z = randn(DataType.DOUBLE, 3, m, c);
        int[] labels = new int[m];
        for (int i = 0; i < m; i++) labels[i] = i % 7 == 0 ? -100 : rng.nextInt(c);
        INDArray grad = z.ulike();
        int[] predicted = new int[m];
        double loss = FusedLayers.softmaxCrossEntropy(z, labels, 0.25, grad, predicted);
        double[][] zz = z.toDoubleMatrix();
        double expected = 0;
        double[][] g = new double[m][c];
        for (int i = 0; i < m; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            int arg = 0;
            for (int j = 0; j < c; j++) if (zz[i][j] > max) { max = zz[i][j]; arg = j; }
            assertEquals(arg, predicted[i]);
            for (int j = 0; j < c; j++) sum += Math.exp(zz[i][j] - max);
            if (labels[i] < 0) continue;
            expected += Math.log(sum) + max - zz[i][labels[i]];
            for (int j = 0; j < c; j++) g[i][j] = 0.25 * Math.exp(zz[i][j] - max) / sum;
            g[i][labels[i]] -= 0.25;
        }
        assertEquals(expected, loss, 1e-9 * Math.abs(expected));
        close("gradient", Nd4j.create(g), grad, 1e-13);

        INDArray z32 = z.castTo(DataType.FLOAT), g32 = z32.ulike();
        int[] p32 = new int[m];
        double loss32 = FusedLayers.softmaxCrossEntropy(z32, labels, 0.25, g32, p32);
        assertEquals(loss, loss32, 1e-5 * Math.abs(loss));
        close("float32 gradient", grad, g32, 1e-6);
    }

    @Test
    void adamWMatchesTheTorchFormulaAndFloat32() {
        int n = 40_000;
        INDArray p = randn(DataType.DOUBLE, 1, n), g = randn(DataType.DOUBLE, 0.1, n), m = randn(DataType.DOUBLE, 0.01, n);
        INDArray v = Transforms.abs(randn(DataType.DOUBLE, 0.001, n)), mask = Nd.fromDoubles(new double[n], DataType.DOUBLE, n);
        for (int i = 0; i < n; i += 3) mask.putScalar(i, 1.0);
        double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-7, wd = 0.01, c1 = 1 - Math.pow(b1, 5), c2 = 1 - Math.pow(b2, 5);
        INDArray p0 = p.dup(), m0 = m.dup(), v0 = v.dup();
        FusedLayers.adamW(p, g, m, v, mask, lr, b1, b2, eps, wd, c1, c2);
        INDArray pr = p0.mul(mask.mul(-lr * wd).addi(1.0));
        INDArray mr = m0.mul(b1).addi(g.mul(1 - b1)), vr = v0.mul(b2).addi(g.mul(g).muli(1 - b2));
        pr.subi(mr.div(Transforms.sqrt(vr, true).muli(1 / Math.sqrt(c2)).addi(eps)).muli(lr / c1));
        close("p", pr, p, 1e-14);
        close("m", mr, m, 1e-14);
        close("v", vr, v, 1e-14);

        DataType f = DataType.FLOAT;
        INDArray p32 = p0.castTo(f), m32 = m0.castTo(f), v32 = v0.castTo(f);
        FusedLayers.adamW(p32, g.castTo(f), m32, v32, null, lr, b1, b2, eps, wd, c1, c2);
        INDArray p64 = p0.dup(), m64 = m0.dup(), v64 = v0.dup();
        FusedLayers.adamW(p64, g, m64, v64, null, lr, b1, b2, eps, wd, c1, c2);
        close("float32 p", p64, p32, 1e-6);
        close("float32 v", v64, v32, 1e-6);
    }

    @Test
    void columnSumsAccumulate() {
        INDArray x = randn(DataType.FLOAT, 1, 4097, 33), acc = Nd4j.ones(DataType.FLOAT, 33);
        FusedLayers.addColumnSums(x, acc);
        close("column sums", x.castTo(DataType.DOUBLE).sum(0).addi(1.0), acc.castTo(DataType.DOUBLE), 1e-6);
    }

    @Test
    void resultsAreDeterministic() {
        // Chunks are fixed by the sizes; the reductions (dgamma, dbeta) sum them in chunk order.
        INDArray dy = randn(DataType.FLOAT, 1, 5000, 128), xhat = randn(DataType.FLOAT, 1, 5000, 128);
        INDArray rstd = Transforms.abs(randn(DataType.FLOAT, 1, 5000)), gamma = randn(DataType.FLOAT, 1, 128);
        INDArray a = dy.ulike(), dgA = Nd4j.zeros(DataType.FLOAT, 128), dbA = Nd4j.zeros(DataType.FLOAT, 128);
        FusedLayers.layerNormBackward(dy, xhat, rstd, gamma, a, dgA, dbA);
        INDArray dgB = Nd4j.zeros(DataType.FLOAT, 128), dbB = Nd4j.zeros(DataType.FLOAT, 128), b = dy.ulike();
        FusedLayers.layerNormBackward(dy, xhat, rstd, gamma, b, dgB, dbB);
        assertEquals(a, b);
        assertEquals(dgA, dgB);
        assertEquals(dbA, dbB);
    }
}
