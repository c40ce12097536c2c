package org.cottention.harness.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.cottention.api.Nd;
import org.cottention.models.Init;
import org.cottention.models.Parameter;
import org.cottention.models.Parameters;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** AdamW against torch.optim.AdamW's update written out in doubles; the schedule; the metrics. */
class OptimizerTest {

    @Test
    void adamWMatchesTorchFormula() {
        for (AdamW.DecayOn decayOn : AdamW.DecayOn.values()) {
            Parameters p = new Parameters(DataType.DOUBLE);
            Parameter w = p.add("w", Init.normal(1.0), true, 2, 2);
            Parameter b = p.add("layer.m", Init.normal(1.0), false, 2);      // a stabiliser: not a weight
            p.allocate(9);
            AdamW.Config cfg = new AdamW.Config(0.9, 0.999, 1e-7, 0.1, decayOn);
            AdamW opt = new AdamW(p, cfg);
            double[] x = Nd.toDoubles(p.values()), m = new double[6], v = new double[6];
            double[][] grads = {{0.1, -0.2, 0.3, 0.05, -1, 2}, {0.3, 0.1, -0.2, 0.0, 0.5, -0.5}, {1, 1, 1, 1, 1, 1}};
            double lr = 0.01;
            for (int t = 1; t <= grads.length; t++) {
                p.grads().assign(Nd.fromDoubles(grads[t - 1], DataType.DOUBLE, 6));
                opt.step(lr);
                for (int i = 0; i < 6; i++) {
                    // w = entries 0-3 (a weight), then the stabiliser m: decayed except by WEIGHTS and ALL_BUT_STABILISER
                    boolean decays = decayOn == AdamW.DecayOn.ALL || i < 4;
                    if (decays) x[i] *= 1 - lr * 0.1;
                    double g = grads[t - 1][i];
                    m[i] = 0.9 * m[i] + 0.1 * g;
                    v[i] = 0.999 * v[i] + 0.001 * g * g;
                    double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-7;
                    x[i] -= lr / (1 - Math.pow(0.9, t)) * m[i] / denom;
                }
            }
            double[] got = Nd.toDoubles(p.values());
            for (int i = 0; i < 6; i++) assertEquals(x[i], got[i], 1e-14, decayOn + " entry " + i);
            assertEquals(3, opt.steps());
            assertEquals(2, b.length());
            assertEquals(4, w.length());
        }
    }

    @Test
    void linearWarmupThenDecay() {
        LinearSchedule s = new LinearSchedule(10, 110, true);
        assertEquals(0.0, s.factor(0));
        assertEquals(0.5, s.factor(5));
        assertEquals(1.0, s.factor(10));
        assertEquals(0.5, s.factor(60));
        assertEquals(0.0, s.factor(110));
        assertEquals(0.0, s.factor(500));
        assertEquals(1.0, new LinearSchedule(10, 110, false).factor(100));
        assertEquals(1.0, new LinearSchedule(0, 10, true).factor(0));
    }

    @Test
    void classificationMetrics() {
        // tp 2, fp 1, fn 1, tn 2
        ClassificationMetrics m = ClassificationMetrics.of(new int[] {1, 1, 1, 0, 0, 0}, new int[] {1, 1, 0, 1, 0, 0}, 2);
        assertEquals(4.0 / 6, m.accuracy(), 1e-12);
        assertEquals(2.0 / 3, m.f1(), 1e-12);
        assertEquals((2.0 * 2 - 1 * 1) / Math.sqrt(3.0 * 3 * 3 * 3), m.matthews(), 1e-12);
        assertEquals(0.0, ClassificationMetrics.of(new int[] {1, 1, 1}, new int[] {1, 0, 1}, 2).matthews(), 0, "constant predictor");
        assertEquals(1.0, ClassificationMetrics.of(new int[] {0, 1, 2}, new int[] {0, 1, 2}, 3).matthews(), 1e-12);
    }
}
