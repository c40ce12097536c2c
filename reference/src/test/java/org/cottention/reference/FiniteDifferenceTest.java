package org.cottention.reference;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every gradient of the reference implementations (dq, dk, dv and dm) against central finite differences of
 * L = sum(G * O), on every entry, over shapes with odd head sizes, s = 1, padding and holes in the mask.
 */
class FiniteDifferenceTest {
    private static final double H = 1e-6;
    private static final double TOL = 1e-7;

    static Stream<Arguments> cases() {
        return Stream.of(
                // kind, causal, N, H, s, dk, dv, mask kind
                Arguments.of("cosine", false, 2, 2, 5, 3, 4, "right"),
                Arguments.of("cosine", true, 2, 2, 6, 5, 3, "right"),
                Arguments.of("cosine", true, 3, 1, 5, 4, 4, "arbitrary"),
                Arguments.of("cosine", false, 3, 1, 5, 4, 4, "arbitrary"),
                Arguments.of("cosine", true, 1, 2, 1, 3, 2, "none"),
                Arguments.of("cosine", false, 1, 2, 1, 3, 2, "none"),
                Arguments.of("softmax", false, 2, 2, 5, 3, 4, "right"),
                Arguments.of("softmax", true, 2, 2, 6, 5, 3, "right"),
                Arguments.of("softmax", true, 3, 1, 5, 4, 4, "arbitrary"),
                Arguments.of("softmax", false, 1, 1, 1, 3, 2, "none"));
    }

    @ParameterizedTest(name = "{0} causal={1} N={2} H={3} s={4} dk={5} dv={6} mask={7}")
    @MethodSource("cases")
    void gradientsMatchFiniteDifferences(String kind, boolean causal, int n, int h, int s, int dk, int dv,
                                         String maskKind) {
        Random rng = new Random(17L * s + 31L * dk + (causal ? 1 : 0) + kind.length());
        double[][][][] q = RandomTensors.normal(rng, n, h, s, dk);
        double[][][][] k = RandomTensors.normal(rng, n, h, s, dk);
        double[][][][] v = RandomTensors.normal(rng, n, h, s, dv);
        double[][][][] g = RandomTensors.normal(rng, n, h, s, dv);
        double[][] mask = switch (maskKind) {
            case "right" -> RandomTensors.rightPadded(rng, n, s);
            case "arbitrary" -> RandomTensors.arbitrary(rng, n, s);
            default -> null;
        };
        double[] m = RandomTensors.stabilizer(rng, h);
        boolean cosine = kind.equals("cosine");
        Supplier<Double> loss = () -> RandomTensors.inner(g, cosine
                ? ReferenceCosineAttention.forward(causal, q, k, v, mask, m)
                : ReferenceSoftmaxAttention.forward(causal, q, k, v, mask));
        Gradients grads = cosine
                ? ReferenceCosineAttention.backward(causal, q, k, v, mask, m, g)
                : ReferenceSoftmaxAttention.backward(causal, q, k, v, mask, g);

        check("dq", q, grads.dq(), loss);
        check("dk", k, grads.dk(), loss);
        check("dv", v, grads.dv(), loss);
        if (cosine) {
            double[] fd = new double[h];
            for (int i = 0; i < h; i++) fd[i] = centralDifference(m, i, loss);
            assertClose("dm", grads.dm(), fd);
        }
    }

    private static void check(String name, double[][][][] x, double[][][][] analytic, Supplier<Double> loss) {
        double[][][][] fd = Vectors.zerosLike(x);
        for (int a = 0; a < x.length; a++) for (int b = 0; b < x[a].length; b++)
            for (int t = 0; t < x[a][b].length; t++) for (int e = 0; e < x[a][b][t].length; e++) {
                double[] row = x[a][b][t];
                fd[a][b][t][e] = centralDifference(row, e, loss);
            }
        double err = RandomTensors.relativeError(analytic, fd);
        assertTrue(err < TOL, name + " relative error " + err);
    }

    private static void assertClose(String name, double[] analytic, double[] fd) {
        double err = RandomTensors.relativeError(analytic, fd);
        // dm can be exactly zero (no real token beyond the first): compare absolutely then.
        double scale = 0;
        for (double x : fd) scale = Math.max(scale, Math.abs(x));
        assertTrue(err < TOL || scale < 1e-9 && maxAbsDiff(analytic, fd) < 1e-8, name + " relative error " + err);
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    private static double centralDifference(double[] x, int i, Supplier<Double> loss) {
        double saved = x[i];
        x[i] = saved + H;
        double up = loss.get();
        x[i] = saved - H;
        double down = loss.get();
        x[i] = saved;
        return (up - down) / (2 * H);
    }
}
