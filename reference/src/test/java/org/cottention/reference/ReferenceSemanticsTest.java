package org.cottention.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The behaviours of the paper's reference code that paper-spec §12 asks a port to test. */
class ReferenceSemanticsTest {

    @Test
    void initialStabilizerIsSigmoidOfHalf() {
        assertEquals(0.6224593, StabilizerExponent.sigmoid(StabilizerExponent.INITIAL_M), 1e-7);
        assertEquals(1.0, StabilizerExponent.divisor(0, 0.5)); // clamp: no real token
        assertEquals(1.0, StabilizerExponent.divisor(1, 0.5));
        assertEquals(Math.pow(7, 0.6224593), StabilizerExponent.divisor(7, 0.5), 1e-6);
    }

    @Test
    void causalHandExample() {
        // d = 2: q1 = k1 = (1, 0), v1 = (1, 2); q2 = (0, 1), k2 = (0, 2), v2 = (3, 4); m = 0.5.
        double[][][][] q = {{{{1, 0}, {0, 1}}}};
        double[][][][] k = {{{{1, 0}, {0, 2}}}};
        double[][][][] v = {{{{1, 2}, {3, 4}}}};
        double[][][][] o = ReferenceCosineAttention.forward(true, q, k, v, null, new double[] {0.5});
        double div2 = Math.pow(2, 0.6224593); // c_2 = 2, divisor indexed by the key position
        assertArrayEquals(new double[] {1, 2}, o[0][0][0], 1e-12);
        assertArrayEquals(new double[] {3 / div2, 4 / div2}, o[0][0][1], 1e-6);
        // Bidirectional: n = 2 divides every value; o1 = (q1.k1h) v1/div + (q1.k2h) v2/div = v1 / div.
        double[][][][] b = ReferenceCosineAttention.forward(false, q, k, v, null, new double[] {0.5});
        assertArrayEquals(new double[] {1 / div2, 2 / div2}, b[0][0][0], 1e-6);
        assertArrayEquals(new double[] {3 / div2, 4 / div2}, b[0][0][1], 1e-6);
    }

    @Test
    void recurrentFormEqualsCausalForm() {
        Random rng = new Random(3);
        int n = 3, h = 2, s = 9, dk = 5, dv = 3;
        double[][][][] q = RandomTensors.normal(rng, n, h, s, dk), k = RandomTensors.normal(rng, n, h, s, dk);
        double[][][][] v = RandomTensors.normal(rng, n, h, s, dv);
        double[][] mask = RandomTensors.arbitrary(rng, n, s);
        double[] m = RandomTensors.stabilizer(rng, h);
        double[][][][] causal = ReferenceCosineAttention.forward(true, q, k, v, mask, m);

        // Feed the tokens in uneven pieces: 4, 1, 4.
        ReferenceRecurrentCosine rnn = new ReferenceRecurrentCosine(n, h, dk, dv, m);
        double[][][][] rec = new double[n][h][s][];
        int[] pieces = {4, 1, 4};
        int start = 0;
        for (int len : pieces) {
            double[][][][] out = rnn.append(slice(q, start, len), slice(k, start, len), slice(v, start, len),
                    sliceMask(mask, start, len));
            for (int b = 0; b < n; b++) for (int hh = 0; hh < h; hh++)
                for (int t = 0; t < len; t++) rec[b][hh][start + t] = out[b][hh][t];
            start += len;
        }
        assertTrue(RandomTensors.relativeError(rec, causal) < 1e-13);
        for (int b = 0; b < n; b++) {
            double real = 0;
            for (double p : mask[b]) real += p;
            assertEquals(real, rnn.count()[b]);
        }
    }

    @Test
    void divisorIsPerKeyNotPerQuery() {
        // Per-key (the reference code): o_i = sum_{j<=i} (qh_i.kh_j) v_j / j^sigma. Per-query would divide row i by
        // i^sigma. They differ, and the per-key value must be what we compute.
        Random rng = new Random(5);
        int s = 6, d = 4;
        double[][][][] q = RandomTensors.normal(rng, 1, 1, s, d), k = RandomTensors.normal(rng, 1, 1, s, d);
        double[][][][] v = RandomTensors.normal(rng, 1, 1, s, d);
        double[] m = {0.5};
        double[][][][] o = ReferenceCosineAttention.forward(true, q, k, v, null, m);
        double sig = StabilizerExponent.sigmoid(0.5);
        double maxPerKeyDiff = 0, maxPerQueryDiff = 0;
        for (int i = 0; i < s; i++) {
            double[] perKey = new double[d], perQuery = new double[d];
            for (int j = 0; j <= i; j++) {
                double sim = Vectors.dot(Vectors.normalize(q[0][0][i]), Vectors.normalize(k[0][0][j]));
                Vectors.axpy(sim / Math.pow(j + 1, sig), v[0][0][j], perKey);
                Vectors.axpy(sim / Math.pow(i + 1, sig), v[0][0][j], perQuery);
            }
            for (int e = 0; e < d; e++) {
                maxPerKeyDiff = Math.max(maxPerKeyDiff, Math.abs(perKey[e] - o[0][0][i][e]));
                maxPerQueryDiff = Math.max(maxPerQueryDiff, Math.abs(perQuery[e] - o[0][0][i][e]));
            }
        }
        assertTrue(maxPerKeyDiff < 1e-12, "per-key " + maxPerKeyDiff);
        assertTrue(maxPerQueryDiff > 1e-3, "per-query should differ, " + maxPerQueryDiff);
    }

    @Test
    void paddedPositionsDoNotInfluenceRealTokens() {
        Random rng = new Random(9);
        int s = 7, real = 4, d = 3;
        double[][] mask = {{1, 1, 1, 1, 0, 0, 0}};
        double[][][][] q = RandomTensors.normal(rng, 1, 2, s, d), k = RandomTensors.normal(rng, 1, 2, s, d);
        double[][][][] v = RandomTensors.normal(rng, 1, 2, s, d);
        double[] m = {0.3, -0.7};
        for (boolean causal : new boolean[] {false, true}) {
            for (String kind : new String[] {"cosine", "softmax"}) {
                double[][][][] padded = run(kind, causal, q, k, v, mask, m);
                double[][][][] shortOut = run(kind, causal, slice(q, 0, real), slice(k, 0, real),
                        slice(v, 0, real), null, m);
                for (int h = 0; h < 2; h++) for (int t = 0; t < real; t++) {
                    assertArrayEquals(shortOut[0][h][t], padded[0][h][t], 1e-12, kind + " causal=" + causal);
                }
                if (kind.equals("cosine")) {
                    for (int h = 0; h < 2; h++) for (int t = real; t < s; t++) {
                        assertArrayEquals(new double[d], padded[0][h][t], 0.0, "cosine pad output is zero");
                    }
                }
            }
        }
    }

    @Test
    void rejectsNonBinaryMaskAndBadShapes() {
        double[][][][] x = new double[1][1][2][2];
        assertThrows(IllegalArgumentException.class,
                () -> ReferenceCosineAttention.forward(true, x, x, x, new double[][] {{1, 0.5}}, null));
        assertThrows(IllegalArgumentException.class,
                () -> ReferenceSoftmaxAttention.forward(true, x, x, x, new double[][] {{1, 1, 1}}));
        assertThrows(IllegalArgumentException.class,
                () -> ReferenceCosineAttention.forward(false, x, new double[1][1][3][2], x, null, null));
    }

    @Test
    void publishedAveragesAreTheMeanOfTheNineColumns() {
        for (String attention : new String[] {"published-devlin", "softmax", "cosine"}) {
            double sum = 0;
            int count = 0;
            for (PaperResults.Entry e : PaperResults.all()) {
                if (e.table().equals("glue") && e.attention().equals(attention) && !e.metric().equals("Avg")) {
                    sum += e.value();
                    count++;
                }
            }
            assertEquals(9, count);
            double avg = PaperResults.find("glue", "bert-base", attention, "Avg").orElseThrow().value();
            assertEquals(avg, sum / count, 0.05 + 1e-9, attention);
        }
    }

    private static double[][][][] run(String kind, boolean causal, double[][][][] q, double[][][][] k,
                                      double[][][][] v, double[][] mask, double[] m) {
        return kind.equals("cosine") ? ReferenceCosineAttention.forward(causal, q, k, v, mask, m)
                : ReferenceSoftmaxAttention.forward(causal, q, k, v, mask);
    }

    static double[][][][] slice(double[][][][] a, int start, int len) {
        double[][][][] out = new double[a.length][a[0].length][len][];
        for (int n = 0; n < a.length; n++) for (int h = 0; h < a[0].length; h++)
            for (int t = 0; t < len; t++) out[n][h][t] = a[n][h][start + t].clone();
        return out;
    }

    static double[][] sliceMask(double[][] mask, int start, int len) {
        double[][] out = new double[mask.length][len];
        for (int n = 0; n < mask.length; n++) System.arraycopy(mask[n], start, out[n], 0, len);
        return out;
    }

    @Test
    void divisorFromLogIsTheDivisor() {
        for (double m : new double[] {-30, -2, 0, 0.5, 3}) {
            for (double c : new double[] {0, 1, 2, 7, 1000, 65536}) {
                double s = StabilizerExponent.sigmoid(m);
                assertEquals(StabilizerExponent.divisor(c, m), StabilizerExponent.divisorFromLog(Math.log(c), s),
                        1e-14 * StabilizerExponent.divisor(c, m), "divisor c=" + c + " m=" + m);
                assertEquals(StabilizerExponent.logDerivative(c, m),
                        StabilizerExponent.logDerivativeFromLog(Math.log(c), s), 1e-14, "log-derivative c=" + c + " m=" + m);
            }
        }
    }
}
