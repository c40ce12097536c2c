package org.cottention.softmax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.cottention.api.Attention;
import org.cottention.api.AttentionGradients;
import org.cottention.api.AttentionInput;
import org.cottention.api.Nd;
import org.cottention.reference.RandomTensors;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Attention-probability dropout: seeded, unbiased in expectation, and its gradients by finite differences. */
class SoftmaxDropoutTest {
    private static final int N = 2, H = 2, S = 6, D = 3;
    private final Random rng = new Random(8);
    private final double[][][][] q = RandomTensors.normal(rng, N, H, S, D), k = RandomTensors.normal(rng, N, H, S, D);
    private final double[][][][] v = RandomTensors.normal(rng, N, H, S, D), g = RandomTensors.normal(rng, N, H, S, D);
    private final double[][] mask = RandomTensors.rightPadded(rng, N, S);

    @Test
    void gradientsMatchFiniteDifferencesWithTheSameMask() {
        SoftmaxAttention att = new SoftmaxAttention(true);
        double rate = 0.3;
        long seed = 77;
        AttentionGradients gr = att.backward(att.forward(input(q, k, v), rate, seed), Nd.fromArray4(g, DataType.DOUBLE));
        check(gr.dq(), q, 0, att, rate, seed);
        check(gr.dk(), k, 1, att, rate, seed);
        check(gr.dv(), v, 2, att, rate, seed);
    }

    @Test
    void rateZeroIsThePlainForwardAndTheSameSeedTheSameMask() {
        SoftmaxAttention att = new SoftmaxAttention(false);
        INDArray plain = att.forward(input(q, k, v)).output();
        assertTrue(plain.equalsWithEps(att.forward(input(q, k, v), 0, 5).output(), 0));
        INDArray a = att.forward(input(q, k, v), 0.5, 5).output(), b = att.forward(input(q, k, v), 0.5, 5).output();
        assertTrue(a.equalsWithEps(b, 0));
        assertTrue(!a.equalsWithEps(att.forward(input(q, k, v), 0.5, 6).output(), 1e-9));
        INDArray keep = Nd.dropoutMask(DataType.DOUBLE, 0.25, 3, 200, 200);
        assertEquals(1.0, keep.meanNumber().doubleValue(), 0.02, "inverted dropout keeps the mean");
    }

    private void check(INDArray analytic, double[][][][] x, int which, Attention att, double rate, long seed) {
        double[][][][] fd = new double[N][H][S][D];
        double h = 1e-6;
        for (int a = 0; a < N; a++) for (int b = 0; b < H; b++) for (int t = 0; t < S; t++) for (int e = 0; e < D; e++) {
            double saved = x[a][b][t][e];
            x[a][b][t][e] = saved + h;
            double up = loss(att, rate, seed);
            x[a][b][t][e] = saved - h;
            double down = loss(att, rate, seed);
            x[a][b][t][e] = saved;
            fd[a][b][t][e] = (up - down) / (2 * h);
        }
        double err = RandomTensors.relativeError(Nd.toArray4(analytic), fd);
        assertTrue(err < 1e-7, "input " + which + " relative error " + err);
    }

    private double loss(Attention att, double rate, long seed) {
        return RandomTensors.inner(g, Nd.toArray4(((SoftmaxAttention) att).forward(input(q, k, v), rate, seed).output()));
    }

    private AttentionInput input(double[][][][] q, double[][][][] k, double[][][][] v) {
        return new AttentionInput(Nd.fromArray4(q, DataType.DOUBLE), Nd.fromArray4(k, DataType.DOUBLE),
                Nd.fromArray4(v, DataType.DOUBLE), Nd.fromArray2(mask, DataType.DOUBLE), null);
    }
}
