package org.cottention.harness.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The GPT experiment's analysis on synthetic rows: the sweep's best learning rate (a diverged run never wins), the
 * ladder's points and paired gaps, the slope against size, the learning-rate transfer between rungs, and claims 2a
 * and 2b giving each verdict their rules can give.
 */
class GptLadderTest {

    /** A final row: rung, role, attention, seed, lr, validation and test bits per byte ("" = diverged). */
    static Map<String, String> fin(String rung, long params, String role, String kind, int seed, double lr, String val, String test) {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("phase", "final");
        r.put("rung", rung);
        r.put("non_embedding_parameters", Long.toString(params));
        r.put("role", role);
        r.put("arm", "baseline");
        r.put("attention", kind);
        r.put("seed", Integer.toString(seed));
        r.put("lr", Double.toString(lr));
        r.put("status", val.isEmpty() ? "diverged: loss NaN at step 7" : "ok");
        r.put("val_loss", val);
        r.put("test_bits_per_byte", test);
        return r;
    }

    /** Three rungs; the first swept at three rates; the gap at rung i of seed s is gaps[i] + noise[s]. */
    static List<Map<String, String>> ladder(double[] gaps, double[] noise) {
        List<Map<String, String>> rows = new ArrayList<>();
        rows.add(fin("S", 1000, "sweep", "cosine", 1, 1e-3, "3.0", "3.0"));
        rows.add(fin("S", 1000, "sweep", "cosine", 1, 1e-2, "2.0", String.valueOf(2 + gaps[0] + noise[0])));
        rows.add(fin("S", 1000, "sweep", "cosine", 1, 3e-2, "", ""));
        rows.add(fin("S", 1000, "sweep", "softmax", 1, 1e-3, "2.5", "2.0"));
        rows.add(fin("S", 1000, "sweep", "softmax", 1, 1e-2, "2.6", "2.6"));
        rows.add(fin("S", 1000, "sweep", "softmax", 1, 3e-2, "", ""));
        String[] rungs = {"S", "M", "L"};
        long[] params = {1000, 4000, 16000};
        for (int i = 0; i < 3; i++) {
            for (int seed = i == 0 ? 2 : 1; seed <= noise.length; seed++) {
                rows.add(fin(rungs[i], params[i], "ladder", "cosine", seed, 1e-2, "2", String.valueOf(2 + gaps[i] + noise[seed - 1])));
                rows.add(fin(rungs[i], params[i], "ladder", "softmax", seed, 1e-3, "2", "2"));
            }
        }
        return rows;
    }

    @Test
    void theBestLearningRateIsTheLowestValidationLossOfARunThatDidNotDiverge() {
        Map<String, Map<String, Double>> best = GptLadder.bestLearningRates(ladder(new double[] {0.1, 0.05, 0.02}, new double[] {0, 0.01}));
        assertEquals(Map.of("S", Map.of("cosine", 1e-2, "softmax", 1e-3)), best);
        assertTrue(GptExperiment.bestLearningRate(List.of(fin("S", 1, "sweep", "cosine", 1, 1e-2, "", ""))).isEmpty(),
                "every run diverged: no best");
    }

    @Test
    void pointsAreTheLadderAndTheBestSweepRunAndGapsArePairedBySeed() {
        List<Map<String, String>> rows = ladder(new double[] {0.1, 0.05, 0.02}, new double[] {0, 0.01});
        List<GptLadder.Point> points = GptLadder.points(rows);
        assertEquals(12, points.size(), points.toString());   // 3 rungs x 2 attentions x 2 seeds
        List<GptLadder.Gap> gaps = GptLadder.gaps(points);
        assertEquals(List.of("S", "M", "L"), gaps.stream().map(GptLadder.Gap::rung).toList());
        assertEquals(0.105, gaps.get(0).gap().estimate(), 1e-12);
        assertEquals(2, gaps.get(1).pairs());
        // a diverged seed leaves its pair out and is counted
        rows.add(fin("L", 16000, "ladder", "cosine", 3, 1e-2, "", ""));
        rows.add(fin("L", 16000, "ladder", "softmax", 3, 1e-3, "2", "2"));
        GptLadder.Gap l = GptLadder.gaps(GptLadder.points(rows)).get(2);
        assertEquals(2, l.pairs());
        assertEquals(1, l.diverged());
    }

    @Test
    void theSlopeIsTheGapsTrendAgainstLogParameters() {
        double b = -0.02;   // per e-fold: ln(4) between rungs
        double[] gaps = {0.1, 0.1 + b * Math.log(4), 0.1 + b * Math.log(16)};
        Stats.Interval slope = GptLadder.slope(GptLadder.points(ladder(gaps, new double[] {0, 0.001, -0.001})));
        assertEquals(b, slope.estimate(), 1e-3);
        assertEquals(9, slope.n());
    }

    @Test
    void learningRatesTransferFromTheSweptRungOfTheSameWidthAndScaleWithWidth() {
        GptExperiment.Plan smoke = GptExperiment.plan(Profile.SMOKE), def = GptExperiment.plan(Profile.DEFAULT);
        assertEquals("XS", GptExperiment.lrSource(smoke, smoke.rung("M")).name());
        assertEquals("M", GptExperiment.lrSource(def, def.rung("L")).name(), "L (width 128) takes M's rate (width 128)");
        assertEquals("S", GptExperiment.lrSource(def, def.rung("S")).name());
        for (Profile p : List.of(Profile.SMOKE, Profile.DEFAULT, Profile.LONG)) {
            GptExperiment.Plan plan = GptExperiment.plan(p);
            assertTrue(!plan.swept().contains(plan.ladder().get(plan.ladder().size() - 1).name()),
                    p + ": the top rung is not swept (the stabiliser experiment reads its ladder run)");
            for (GptExperiment.Rung r : plan.ladder()) assertTrue(plan.steps(r) >= 20, p + " " + r);
        }
    }

    @Test
    void claim2aGivesEachVerdictOfNonInferiority() {
        double margin = GptLadder.bitsPerByte(GptLadder.PAPER_GAP_300M_NATS);
        assertEquals(0.0429, margin, 1e-4);
        assertEquals(Verdict.HELD, claim2a(0.01, new double[] {0, 0.002, -0.002}).verdict());
        assertEquals(Verdict.DID_NOT_HOLD, claim2a(0.2, new double[] {0, 0.002, -0.002}).verdict());
        assertEquals(Verdict.NOT_TESTABLE, claim2a(0.04, new double[] {0, 0.05, -0.05}).verdict());
    }

    private static Claim claim2a(double topGap, double[] noise) {
        var points = GptLadder.points(ladder(new double[] {0.1, 0.05, topGap}, noise));
        Claim c = GptExperiment.similarLoss(GptLadder.gaps(points));
        assertEquals("2a", c.id());
        return c;
    }

    @Test
    void claim2bGivesEachVerdictOfTheSlope() {
        double[] tight = {0, 0.001, -0.001}, loose = {0, 0.2, -0.2};
        assertEquals(Verdict.HELD, claim2b(new double[] {0.1, 0.05, 0.01}, tight).verdict());
        assertEquals(Verdict.DID_NOT_HOLD, claim2b(new double[] {0.01, 0.05, 0.1}, tight).verdict());
        assertEquals(Verdict.NOT_TESTABLE, claim2b(new double[] {0.1, 0.09, 0.08}, loose).verdict());
        List<GptLadder.Point> two = GptLadder.points(ladder(new double[] {0.1, 0.05, 0.01}, tight)).stream()
                .filter(p -> !p.rung().equals("L")).toList();
        Claim c = GptExperiment.gapShrinks(two, GptLadder.gaps(two));
        assertEquals(Verdict.NOT_TESTABLE, c.verdict());
        assertTrue(c.evidence().contains("a trend needs at least 3"), c.evidence());
    }

    private static Claim claim2b(double[] gaps, double[] noise) {
        var points = GptLadder.points(ladder(gaps, noise));
        return GptExperiment.gapShrinks(points, GptLadder.gaps(points));
    }

    @Test
    void claimsFromTheFixtureTable() {
        List<Claim> claims = new GptExperiment().claims(Profile.DEFAULT, Map.of("gpt", PlotFixtures.gpt()));
        assertEquals(List.of("2a", "2b"), claims.stream().map(Claim::id).toList());
        assertEquals(Verdict.NOT_MEASURED, new GptExperiment().claims(Profile.DEFAULT, Map.of()).get(0).verdict());
        String md = new GptExperiment().markdown(Profile.DEFAULT, PlotFixtures.gpt());
        assertTrue(md.contains("| XS | cosine |") && md.contains("Arm `m-no-decay`"), md);
    }
}
