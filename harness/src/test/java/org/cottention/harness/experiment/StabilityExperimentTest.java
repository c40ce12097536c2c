package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Claim 3's rule gives each of its verdicts; the pairs are read from a table; the sign test's p values. */
class StabilityExperimentTest {

    private static StabilityExperiment.Pairs pairs(int withoutOnly, int withOnly, int both, double... lossGaps) {
        double[] zero = new double[lossGaps.length];
        return new StabilityExperiment.Pairs(withoutOnly + withOnly + both + lossGaps.length, withoutOnly, withOnly, both,
                Stats.pairedDifference(lossGaps, zero));
    }

    @Test
    void eachVerdictOfClaim3() {
        assertEquals(Verdict.NOT_MEASURED, StabilityExperiment.verdict(pairs(0, 0, 0)));
        assertEquals(Verdict.HELD, StabilityExperiment.verdict(pairs(5, 0, 0, -0.1, 0.1)), "5 of 5 discordant pairs one way");
        assertEquals(Verdict.HELD, StabilityExperiment.verdict(pairs(0, 0, 0, 0.2, 0.25, 0.3)), "worse loss without, no divergence");
        assertEquals(Verdict.DID_NOT_HOLD, StabilityExperiment.verdict(pairs(0, 0, 0, -0.02, -0.021, -0.022)));
        assertEquals(Verdict.NOT_TESTABLE, StabilityExperiment.verdict(pairs(0, 0, 0, -0.2, 0.3)), "the interval straddles 0");
        assertEquals(Verdict.NOT_TESTABLE, StabilityExperiment.verdict(pairs(4, 0, 0, 0.1)), "4 discordant pairs: p = 1/16");
        assertEquals(Verdict.NOT_TESTABLE, StabilityExperiment.verdict(pairs(1, 1, 0, 0.2, 0.25, 0.3)),
                "divergence with the stabiliser too");
    }

    @Test
    void signTest() {
        assertEquals(1.0 / 32, StabilityExperiment.signTestP(5, 0), 1e-12);
        assertEquals(1.0 / 16, StabilityExperiment.signTestP(4, 0), 1e-12);
        assertEquals(6.0 / 64 + 1.0 / 64, StabilityExperiment.signTestP(5, 1), 1e-12);
        assertEquals(1, StabilityExperiment.signTestP(0, 0));
    }

    @Test
    void pairsFromTheFixtureTable() {
        StabilityExperiment.Pairs p = StabilityExperiment.pairs(PlotFixtures.stability());
        assertEquals(2, p.n());
        assertEquals(1, p.withoutOnly());
        assertEquals(0, p.withOnly());
        assertEquals(1, p.lossGap().n());
        List<Claim> c = new StabilityExperiment().claims(Profile.DEFAULT, java.util.Map.of("stability", PlotFixtures.stability()));
        assertEquals("3", c.get(0).id());
        assertTrue(c.get(0).evidence().contains("diverged without the stabiliser only 1"), c.get(0).evidence());
    }
}
