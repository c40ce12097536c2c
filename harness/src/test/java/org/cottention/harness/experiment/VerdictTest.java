package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Every verdict rule returns every outcome it can give, on synthetic inputs; the statistics behind them match
 * their known values (t quantiles of standard tables, an exactly linear fit).
 */
class VerdictTest {
    private static Stats.Interval interval(double low, double high) {
        return new Stats.Interval(3, (low + high) / 2, low, high, 1);
    }

    @Test
    void withinMarginGivesEveryOutcome() {
        assertEquals(Verdict.HELD, Verdict.withinMargin(interval(-0.5, 1.2), 1.3), "interval inside the margin");
        assertEquals(Verdict.HELD, Verdict.withinMargin(interval(-6, -2), 1.3), "cosine better: within");
        assertEquals(Verdict.DID_NOT_HOLD, Verdict.withinMargin(interval(1.4, 3), 1.3), "entirely beyond");
        assertEquals(Verdict.NOT_TESTABLE, Verdict.withinMargin(interval(0.5, 2.5), 1.3), "straddles the margin");
        assertEquals(Verdict.NOT_TESTABLE, Verdict.withinMargin(Stats.mean(new double[] {0.1}), 1.3), "n = 1");
    }

    @Test
    void moreNoiseNeverMakesHeldEasier() {
        double[] tight = {0.9, 1.0, 1.1}, noisy = {-1, 1, 3};              // same mean 1.0, 10x the spread
        assertEquals(Verdict.HELD, Verdict.withinMargin(Stats.mean(tight), 1.3));
        assertEquals(Verdict.NOT_TESTABLE, Verdict.withinMargin(Stats.mean(noisy), 1.3));
    }

    @Test
    void signRulesGiveEveryOutcome() {
        assertEquals(Verdict.HELD, Verdict.negative(interval(-3, -1)));
        assertEquals(Verdict.DID_NOT_HOLD, Verdict.negative(interval(0, 2)));
        assertEquals(Verdict.NOT_TESTABLE, Verdict.negative(interval(-1, 1)));
        assertEquals(Verdict.NOT_TESTABLE, Verdict.negative(Stats.mean(new double[] {-5})));
        assertEquals(Verdict.HELD, Verdict.positive(interval(0.1, 2)));
        assertEquals(Verdict.DID_NOT_HOLD, Verdict.positive(interval(-2, 0)));
        assertEquals(Verdict.NOT_TESTABLE, Verdict.positive(interval(-1, 1)));
    }

    @Test
    void thresholdGivesEveryOutcome() {
        assertEquals(Verdict.HELD, Verdict.threshold(0.98, true));
        assertEquals(Verdict.DID_NOT_HOLD, Verdict.threshold(1.9, false));
        assertEquals(Verdict.NOT_MEASURED, Verdict.threshold(Double.NaN, true));
    }

    @Test
    void untestableNamesTheProfile() {
        assertEquals("not testable at this scale (profile smoke)", Verdict.NOT_TESTABLE.label(Profile.SMOKE));
        assertEquals("held", Verdict.HELD.label(Profile.SMOKE));
    }

    @Test
    void tQuantilesMatchTheTables() {
        // Student's t, two-sided 95 %: the values of every statistics table.
        assertEquals(12.706, Stats.tQuantile975(1), 1e-3);
        assertEquals(4.303, Stats.tQuantile975(2), 1e-3);
        assertEquals(3.182, Stats.tQuantile975(3), 1e-3);
        assertEquals(2.776, Stats.tQuantile975(4), 1e-3);
        assertEquals(2.228, Stats.tQuantile975(10), 1e-3);
        assertEquals(2.042, Stats.tQuantile975(30), 1e-3);
        assertEquals(0.5 * Math.log(Math.PI), Stats.logGamma(0.5), 1e-13);
        assertEquals(Math.log(24), Stats.logGamma(5), 1e-13);
    }

    @Test
    void intervalsUseTAndPairing() {
        Stats.Interval m = Stats.mean(new double[] {1, 2, 3});
        assertEquals(2, m.estimate(), 1e-12);
        assertEquals(4.303 / Math.sqrt(3), m.halfWidth(), 1e-3);              // sd 1, n 3
        // Paired: a constant shift is exact, however far apart the seeds are.
        Stats.Interval d = Stats.pairedDifference(new double[] {10, 20, 30}, new double[] {9, 19, 29});
        assertEquals(1, d.estimate(), 1e-12);
        assertEquals(0, d.halfWidth(), 1e-12);
        assertFalse(Stats.mean(new double[] {4}).defined());
    }

    @Test
    void slopeOfAnExactLineHasNoWidthAndNoisyOnesDo() {
        Stats.Interval exact = Stats.slope(new double[] {0, 1, 2, 3}, new double[] {1, 3, 5, 7});
        assertEquals(2, exact.estimate(), 1e-12);
        assertEquals(0, exact.halfWidth(), 1e-12);
        Stats.Interval noisy = Stats.slope(new double[] {0, 1, 2, 3}, new double[] {1, 3.5, 4.5, 7});
        assertTrue(noisy.defined() && noisy.halfWidth() > 0);
        assertFalse(Stats.slope(new double[] {0, 1}, new double[] {0, 1}).defined(), "2 points: no interval");
    }
}
